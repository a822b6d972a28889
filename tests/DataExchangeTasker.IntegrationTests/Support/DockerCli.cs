using System.Diagnostics;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>The <c>docker</c> CLI (and a few other programs) run to completion with a deadline, for test set-up.</summary>
public static class DockerCli
{
    private static readonly string Docker = File.Exists("/usr/bin/docker") ? "/usr/bin/docker" : "docker";

    /// <summary>Runs <c>docker [-H host] arguments</c>; returns stdout, fails with stderr on a non-zero exit.</summary>
    public static async Task<string> RunAsync(string? host, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken) =>
        await TryRunAsync(host, arguments, timeout, throwOnError: true, cancellationToken) ?? "";

    /// <summary>Runs <c>docker [-H host] arguments</c>; returns stdout, or null on a non-zero exit.</summary>
    public static Task<string?> TryRunAsync(string? host, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken) =>
        TryRunAsync(host, arguments, timeout, throwOnError: false, cancellationToken);

    /// <summary>Runs a shell pipeline (<c>sh -c</c>), failing with its output on a non-zero exit.</summary>
    public static async Task RunShellAsync(string command, TimeSpan timeout, CancellationToken cancellationToken) =>
        await RunProcessAsync("/bin/sh", ["-c", command], timeout, throwOnError: true, cancellationToken);

    /// <summary>Runs any program, failing with its output on a non-zero exit.</summary>
    public static async Task RunProgramAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        await RunProgramAsync(program, arguments, TimeSpan.FromSeconds(30), cancellationToken);

    /// <summary>Runs any program with a deadline of <paramref name="timeout"/>, failing with its output on a non-zero exit.</summary>
    public static async Task RunProgramAsync(string program, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken) =>
        await RunProcessAsync(program, arguments, timeout, throwOnError: true, cancellationToken);

    /// <summary>Runs any program with a deadline; returns its exit code and output whatever the exit code.</summary>
    public static async Task<ProgramResult> RunCapturingAsync(string program, IEnumerable<string> arguments, string? workingDirectory, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory ?? "" };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + program);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', info.ArgumentList)} did not finish within {timeout.TotalSeconds} s");
        }

        return new ProgramResult(process.ExitCode, await stdout, await stderr);
    }

    private static Task<string?> TryRunAsync(string? host, IEnumerable<string> arguments, TimeSpan timeout, bool throwOnError, CancellationToken cancellationToken) =>
        RunProcessAsync(Docker, host is null ? arguments : ["-H", host, .. arguments], timeout, throwOnError, cancellationToken);

    private static async Task<string?> RunProcessAsync(string program, IEnumerable<string> arguments, TimeSpan timeout, bool throwOnError, CancellationToken cancellationToken)
    {
        var result = await RunCapturingAsync(program, arguments, workingDirectory: null, timeout, cancellationToken);
        if (result.ExitCode == 0)
        {
            return result.Stdout;
        }

        return throwOnError
            ? throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {result.ExitCode}: {result.Stderr}")
            : null;
    }
}

/// <summary>What a program run by <see cref="DockerCli.RunCapturingAsync"/> exited with and printed.</summary>
public sealed record ProgramResult(int ExitCode, string Stdout, string Stderr);
