using System.Diagnostics;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// One of the scripts in <c>Support/OriginalClients</c> run by Debian's <c>/usr/bin/python3</c> (which has
/// <c>python3-pika</c>, installed by scripts/setup.sh), with its output lines collected for the test.
/// </summary>
public sealed class PythonScript : IAsyncDisposable
{
    /// <summary>Debian's interpreter, not whatever python3 comes first on PATH (pika is installed for this one).</summary>
    public const string Interpreter = "/usr/bin/python3";

    private readonly Process _process;
    private readonly List<string> _lines = [];

    private PythonScript(Process process) => _process = process;

    /// <summary>Every line written so far, stdout and stderr interleaved.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>Starts <paramref name="script"/> (a file name in Support/OriginalClients) with <paramref name="arguments"/>.</summary>
    /// <exception cref="InvalidOperationException">python3 or pika is missing (scripts/setup.sh installs python3-pika).</exception>
    public static PythonScript Start(string script, params string[] arguments)
    {
        if (!File.Exists(Interpreter))
        {
            throw new InvalidOperationException($"{Interpreter} is missing; scripts/setup.sh installs python3-pika, which brings it.");
        }

        var info = new ProcessStartInfo(Interpreter)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Support", "OriginalClients", script));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + Interpreter);
        var started = new PythonScript(process);
        process.OutputDataReceived += (_, e) => started.Append(e.Data);
        process.ErrorDataReceived += (_, e) => started.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>Runs a script to its end and returns its output; fails with the output when it exits non-zero.</summary>
    public static async Task<IReadOnlyList<string>> RunAsync(string script, TimeSpan timeout, params string[] arguments)
    {
        await using var run = Start(script, arguments);
        var exitCode = await run.WaitForExitAsync(timeout);
        return exitCode == 0 ? run.Lines : throw new InvalidOperationException($"{script} exited {exitCode}:\n{string.Join('\n', run.Lines)}");
    }

    /// <summary>Waits for a line starting with <paramref name="prefix"/>, failing with the output when the script exits first or the deadline passes.</summary>
    public async Task<string> WaitForLineAsync(string prefix, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (Lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal)) is { } line)
            {
                return line;
            }

            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                // Output arrives asynchronously; one last look after exit.
                await Task.Delay(100);
                return Lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))
                    ?? throw new TimeoutException($"\"{prefix}\" not seen (exited: {_process.HasExited}). Output:\n{string.Join('\n', Lines)}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Waits for the script to end and returns its exit code; kills it and fails at the deadline.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The script did not end within {timeout.TotalSeconds} s. Output:\n{string.Join('\n', Lines)}");
        }

        _process.WaitForExit(); // flushes the asynchronous output readers
        return _process.ExitCode;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add(line);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
