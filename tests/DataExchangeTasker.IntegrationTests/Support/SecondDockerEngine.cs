using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// A second Docker engine on this machine, standing in for a second Docker host: its own <c>dockerd</c> (and
/// containerd) with its own data root, exec root, pid file, socket, containerd namespaces and bridge, no iptables
/// rules. It holds its own copy of the runner image.
/// </summary>
/// <remarks>
/// Its data root is kept under <see cref="DataRoot"/> between runs, as an image cache (loading the runner image
/// takes ~20 s); it is reloaded when its id differs from the main engine's. Not <c>--bridge=none</c>: dockerd then
/// deletes the host's docker0 and breaks the main engine's bridge network (scripts/lib.sh). Task containers use no
/// network anyway. <see cref="DisposeAsync"/> stops the daemon (SIGTERM, then waits).
/// </remarks>
public sealed class SecondDockerEngine : IAsyncDisposable
{
    /// <summary>The daemon's socket.</summary>
    public const string Socket = "/run/dxt-e2/docker.sock";

    /// <summary>Its data root (kept as an image cache).</summary>
    public const string DataRoot = "/var/tmp/dxt-it-engine2/data";

    private const string RunDir = "/run/dxt-e2";
    private const string PidFile = RunDir + "/dockerd.pid";
    private const string Bridge = "dxt-it-br0";
    private const string BridgeAddress = "10.231.0.1/24";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(150);

    private readonly Process _daemon;
    private readonly StringBuilder _log = new();

    private SecondDockerEngine(Process daemon) => _daemon = daemon;

    /// <summary>DOCKER_HOST for a tasker or CLI talking to this engine.</summary>
    public static string DockerHost => "unix://" + Socket;

    /// <summary>Starts the daemon and makes sure it has <paramref name="image"/> (copied from the main engine).</summary>
    /// <exception cref="InvalidOperationException">dockerd did not come up, or the image could not be copied.</exception>
    public static async Task<SecondDockerEngine> StartAsync(string image, CancellationToken cancellationToken)
    {
        await StopLeftoverAsync();
        Directory.CreateDirectory(RunDir);
        Directory.CreateDirectory(DataRoot);
        await EnsureBridgeAsync(cancellationToken);

        var info = new ProcessStartInfo("dockerd") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            "--data-root", DataRoot, "--exec-root", RunDir + "/exec", "--pidfile", PidFile, "-H", DockerHost,
            "--bridge", Bridge, "--iptables=false", "--ip-masq=false",
            "--containerd-namespace", "dxt-e2", "--containerd-plugins-namespace", "dxt-e2-plugins",
        })
        {
            info.ArgumentList.Add(argument);
        }

        var engine = new SecondDockerEngine(Process.Start(info) ?? throw new InvalidOperationException("could not start dockerd"));
        engine._daemon.OutputDataReceived += (_, e) => engine.Append(e.Data);
        engine._daemon.ErrorDataReceived += (_, e) => engine.Append(e.Data);
        engine._daemon.BeginOutputReadLine();
        engine._daemon.BeginErrorReadLine();
        try
        {
            await engine.WaitUntilAnsweringAsync(cancellationToken);
            await EnsureImageAsync(image, cancellationToken);
            return engine;
        }
        catch
        {
            await engine.DisposeAsync();
            throw;
        }
    }

    /// <summary>The daemon's own log so far, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    private async Task WaitUntilAnsweringAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (!await PingAsync(cancellationToken))
        {
            if (_daemon.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"The second dockerd did not answer on {Socket} (exited: {_daemon.HasExited}). Log:\n{Log}");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    private static async Task EnsureImageAsync(string image, CancellationToken cancellationToken)
    {
        var wanted = (await DockerCli.RunAsync(null, ["image", "inspect", "--format", "{{.Id}}", image], TimeSpan.FromSeconds(30), cancellationToken)).Trim();
        var here = await DockerCli.TryRunAsync(DockerHost, ["image", "inspect", "--format", "{{.Id}}", image], TimeSpan.FromSeconds(30), cancellationToken);
        if (here?.Trim() == wanted)
        {
            return;
        }

        // docker save | docker -H second load, as an operator copies an image to a host without a registry.
        await DockerCli.RunShellAsync($"docker save {image} | docker -H {DockerHost} load", LoadTimeout, cancellationToken);
    }

    private static async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Socket))
        {
            return false;
        }

        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(Socket), ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            return await http.GetStringAsync(new Uri("http://engine/_ping"), cancellationToken) == "OK";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or SocketException)
        {
            return false;
        }
    }

    private static async Task EnsureBridgeAsync(CancellationToken cancellationToken)
    {
        if (Directory.Exists("/sys/class/net/" + Bridge))
        {
            return;
        }

        await DockerCli.RunProgramAsync("ip", ["link", "add", "name", Bridge, "type", "bridge"], cancellationToken);
        await DockerCli.RunProgramAsync("ip", ["addr", "add", BridgeAddress, "dev", Bridge], cancellationToken);
        await DockerCli.RunProgramAsync("ip", ["link", "set", Bridge, "up"], cancellationToken);
    }

    /// <summary>A daemon of an earlier test run that died before stopping it (only ever one of ours: checked by its socket).</summary>
    private static async Task StopLeftoverAsync()
    {
        if (!File.Exists(PidFile) || !int.TryParse(await File.ReadAllTextAsync(PidFile), out var pid))
        {
            return;
        }

        var cmdline = $"/proc/{pid}/cmdline";
        if (!File.Exists(cmdline) || !(await File.ReadAllTextAsync(cmdline)).Contains(Socket, StringComparison.Ordinal))
        {
            return;
        }

        using var leftover = Process.GetProcessById(pid);
        await StopAsync(leftover);
    }

    private static async Task StopAsync(Process daemon)
    {
        if (daemon.HasExited)
        {
            return;
        }

        using (var term = Process.Start("kill", ["-TERM", daemon.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await daemon.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            daemon.Kill(entireProcessTree: true);
            await daemon.WaitForExitAsync();
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(_daemon);
        _daemon.Dispose();
    }
}
