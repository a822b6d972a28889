using System.Diagnostics;
using System.Text;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// The real <c>tasker</c> binary in its own process, for what only a process can show: <c>kill -9</c>,
/// SIGTERM handling and exit codes.
/// </summary>
public sealed class TaskerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private TaskerProcess(Process process)
    {
        _process = process;
    }

    /// <summary>Everything the process wrote so far (stdout and stderr).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The OS process id.</summary>
    public int Id => _process.Id;

    /// <summary>True once it exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Its exit code (after exit).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <c>tasker</c> with <paramref name="arguments"/> and exactly <paramref name="environment"/> as its TASKER_* settings.</summary>
    public static TaskerProcess Start(IReadOnlyDictionary<string, string?> environment, params string[] arguments) =>
        StartUnder([], environment, arguments);

    /// <summary>
    /// As <see cref="Start"/>, but through <paramref name="launcher"/> (e.g. <c>unshare …</c> or <c>setpriv …</c>),
    /// which must end by executing the command line it is given.
    /// </summary>
    public static TaskerProcess StartUnder(IReadOnlyList<string> launcher, IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo(launcher.Count > 0 ? launcher[0] : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (launcher.Count > 0)
        {
            foreach (var part in launcher.Skip(1))
            {
                info.ArgumentList.Add(part);
            }

            info.ArgumentList.Add("/usr/bin/dotnet");
        }

        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tasker.dll"));
        return Start(info, environment, arguments);
    }

    /// <summary>
    /// As <see cref="Start"/>, but runs <paramref name="executable"/> itself (the published, ahead-of-time compiled
    /// <c>tasker</c>: <see cref="ShippedBinary"/>) instead of this build's <c>tasker.dll</c> under <c>dotnet</c>.
    /// </summary>
    public static TaskerProcess StartExecutable(string executable, IReadOnlyDictionary<string, string?> environment, params string[] arguments) =>
        Start(new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false }, environment, arguments);

    private static TaskerProcess Start(ProcessStartInfo info, IReadOnlyDictionary<string, string?> environment, string[] arguments)
    {
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("TASKER_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the tasker");
        var tasker = new TaskerProcess(process);
        process.OutputDataReceived += (_, e) => tasker.Append(e.Data);
        process.ErrorDataReceived += (_, e) => tasker.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return tasker;
    }

    /// <summary>Waits until the output contains <paramref name="text"/>, failing with the output so far.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"\"{text}\" not seen (exited: {_process.HasExited}). Output:\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Sends a signal (<c>TERM</c>, <c>KILL</c>, <c>INT</c>).</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
    }

    /// <summary>Waits for exit and returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The tasker did not exit within {timeout.TotalSeconds} s. Output:\n{Output}");
        }

        return _process.ExitCode;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
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
