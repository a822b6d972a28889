using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace DataExchangeTasker.IntegrationTests.Sandbox;

/// <summary>Helpers shared by the hostile-task tests: the Docker CLI, unique names, settings.</summary>
internal static class SandboxTestSupport
{
    /// <summary>A name no other test (or earlier run) uses, for code folders, data files and task ids.</summary>
    public static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Settings dictionary from pairs.</summary>
    public static Dictionary<string, string?> Settings(params (string Key, string Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => (string?)p.Value);

    private static readonly string[] DockerCliPaths = ["/usr/bin/docker", "/usr/local/bin/docker"];

    /// <summary>Runs the Docker CLI (bounded), returning exit code and output; never throws on a non-zero exit.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> DockerCliAsync(params string[] args)
    {
        var cli = DockerCliPaths.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("The Docker CLI is not installed (looked in /usr/bin and /usr/local/bin).");
        var start = new ProcessStartInfo(cli) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("docker " + string.Join(' ', args) + " did not finish within 60 s");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// Ids of containers the engine <em>created</em> for <paramref name="taskerId"/> between the two times
    /// (from the engine's event log, so containers created and already removed are counted too).
    /// </summary>
    public static async Task<IReadOnlyList<string>> ContainersCreatedAsync(string taskerId, DateTimeOffset since, DateTimeOffset until)
    {
        var (code, stdout, stderr) = await DockerCliAsync(
            "events",
            "--since", EngineTime(since),
            "--until", EngineTime(until),
            "--filter", "type=container",
            "--filter", "event=create",
            "--filter", "label=" + DataExchangeTasker.Sandbox.Spec.ContainerLabels.Owner + "=" + taskerId,
            "--format", "{{.ID}}");
        Assert.True(code == 0, "docker events failed: " + stderr);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    // The engine takes fractional Unix timestamps (seconds.nanoseconds).
    private static string EngineTime(DateTimeOffset time) =>
        string.Create(CultureInfo.InvariantCulture, $"{time.ToUnixTimeSeconds()}.{time.ToUnixTimeMilliseconds() % 1000:000}000000");

    /// <summary>A host file outside every root of the fixture, holding a unique marker; deleted on dispose.</summary>
    public sealed class HostSecret : IDisposable
    {
        public HostSecret()
        {
            Marker = "SECRET-" + Guid.NewGuid().ToString("N");
            Folder = Directory.CreateTempSubdirectory("tasker-host-secret-").FullName;
            File = Path.Combine(Folder, "secret.txt");
            System.IO.File.WriteAllText(File, Marker + "\n");
            // Readable by anyone, so only the sandbox (not file permissions) stands between the task and the marker.
            System.IO.File.SetUnixFileMode(File, (UnixFileMode)0x1B6); // 0666
            System.IO.File.SetUnixFileMode(Folder, (UnixFileMode)0x1FF); // 0777
        }

        public string Marker { get; }

        public string Folder { get; }

        public string File { get; }

        public void Dispose()
        {
            try
            {
                Directory.Delete(Folder, recursive: true);
            }
            catch (IOException)
            {
                // Temp folder; best effort.
            }
        }
    }

    /// <summary>Copies everything written to Console.Error while alive (the in-process tasker logs there), still passing it through.</summary>
    public sealed class StderrCapture : IDisposable
    {
        private readonly TextWriter _original = Console.Error;
        private readonly StringBuilder _text = new();
        private readonly TeeWriter _tee;

        public StderrCapture()
        {
            _tee = new TeeWriter(_original, _text);
            Console.SetError(_tee);
        }

        public string Text
        {
            get
            {
                lock (_text)
                {
                    return _text.ToString();
                }
            }
        }

        public void Dispose() => Console.SetError(_original);

        private sealed class TeeWriter(TextWriter inner, StringBuilder copy) : TextWriter
        {
            public override Encoding Encoding => inner.Encoding;

            public override void Write(char value)
            {
                lock (copy)
                {
                    copy.Append(value);
                }

                inner.Write(value);
            }

            public override void Write(string? value)
            {
                lock (copy)
                {
                    copy.Append(value);
                }

                inner.Write(value);
            }

            public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

            public override void Flush() => inner.Flush();
        }
    }
}
