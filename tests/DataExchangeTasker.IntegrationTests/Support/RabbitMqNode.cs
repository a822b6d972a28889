using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using RabbitMQ.Client;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// A private, throw-away RabbitMQ broker for integration tests, in the spirit of Testcontainers
/// but without Docker: it runs the locally installed <c>rabbitmq-server</c> as the current user,
/// with its own node name, ports, Erlang cookie, data directory and logs under a temp directory.
/// </summary>
/// <remarks>
/// The node listens on 127.0.0.1 only. It can be stopped and started again on the same port with
/// the same data, which is how tests simulate a broker outage. Disposing it stops the Erlang VM
/// (killing it if it will not stop) and deletes the temp directory; the shared <c>epmd</c> daemon
/// is left running because other nodes on the machine may use it.
/// </remarks>
public sealed class RabbitMqNode : IAsyncDisposable
{
    private const string LoopbackHost = "127.0.0.1";
    private const string NodeNameVariable = "RABBITMQ_NODENAME";
    private const int LogTailChars = 6000;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(5);

    // Nodes whose VM may still be running. If the test host exits without disposing them (a
    // fixture that threw, an aborted run), the exit hook kills them so they do not outlive it.
    private static readonly ConcurrentDictionary<RabbitMqNode, byte> _liveNodes = new();
    private static int _exitHookInstalled;

    private readonly RabbitMqNodeOptions _options;
    private readonly string _baseDirectory;
    private readonly string _homeDirectory;
    private readonly string _consoleLogPath;
    private readonly string _nodeLogPath;
    private readonly IReadOnlyDictionary<string, string> _serverEnvironment;
    private readonly IReadOnlyDictionary<string, string> _cliEnvironment;

    // Serialises start, stop and dispose so a restart never races a stop on the same data dir.
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private Process? _process;
    private int _disposed;

    private RabbitMqNode(RabbitMqNodeOptions options, string baseDirectory, string nodeName, int port, int distributionPort)
    {
        _options = options;
        _baseDirectory = baseDirectory;
        NodeName = nodeName;
        Port = port;
        DistributionPort = distributionPort;
        AmqpUri = new Uri($"amqp://guest:guest@{LoopbackHost}:{port.ToString(CultureInfo.InvariantCulture)}/");

        _homeDirectory = Path.Combine(baseDirectory, "home");
        var logDirectory = Path.Combine(baseDirectory, "log");
        _consoleLogPath = Path.Combine(logDirectory, "console.log");
        _nodeLogPath = Path.Combine(logDirectory, nodeName + ".log");

        var emptyEnvFile = Path.Combine(baseDirectory, "rabbitmq-env.conf");
        _cliEnvironment = new Dictionary<string, string>
        {
            // The CLI authenticates with the cookie in $HOME, so it must share the node's HOME.
            ["HOME"] = _homeDirectory,
            ["RABBITMQ_CONF_ENV_FILE"] = emptyEnvFile,
        };
        _serverEnvironment = new Dictionary<string, string>(_cliEnvironment)
        {
            [NodeNameVariable] = nodeName,
            ["RABBITMQ_NODE_IP_ADDRESS"] = LoopbackHost,
            ["RABBITMQ_NODE_PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_DIST_PORT"] = distributionPort.ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(baseDirectory, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = logDirectory,
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(baseDirectory, "rabbitmq.conf"),
            ["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(baseDirectory, "advanced.config"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(baseDirectory, "enabled_plugins"),
            ["RABBITMQ_PID_FILE"] = Path.Combine(baseDirectory, "rabbitmq.pid"),
            // Without this the distribution port listens on every interface.
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
        };
    }

    /// <summary>The AMQP URI of the node, with the default <c>guest</c> credentials.</summary>
    public Uri AmqpUri { get; }

    /// <summary>The AMQP port on 127.0.0.1; it stays the same across <see cref="StartAgainAsync"/>.</summary>
    public int Port { get; }

    /// <summary>The Erlang distribution port, used by <c>rabbitmqctl</c> to reach the node.</summary>
    public int DistributionPort { get; }

    /// <summary>The Erlang node name, for example <c>dxt-test-1a2b3c4d5e6f@localhost</c>.</summary>
    public string NodeName { get; }

    /// <summary>The temp directory holding the node's configuration, data and logs.</summary>
    public string BaseDirectory => _baseDirectory;

    /// <summary>True while the node's VM process is running (between a start and a stop).</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>
    /// Starts a new private node and waits until it accepts AMQP connections.
    /// </summary>
    /// <param name="options">Node settings; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels start-up; the half-started node is then cleaned up.</param>
    /// <returns>The running node. The caller owns it and must dispose it.</returns>
    /// <exception cref="InvalidOperationException">
    /// RabbitMQ is not installed, or the node did not start within
    /// <see cref="RabbitMqNodeOptions.StartupTimeout"/> (the message carries the tail of its logs).
    /// </exception>
    public static async Task<RabbitMqNode> StartAsync(RabbitMqNodeOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new RabbitMqNodeOptions();
        Requirements.EnsureRabbitMqInstalled(options.ServerPath, options.CtlPath);
        InstallExitHook();

        var baseDirectory = Directory.CreateTempSubdirectory("dxt-rabbitmq-").FullName;
        // Erlang short node names allow letters, digits, '-' and '_'; the random part keeps
        // nodes of parallel test collections (and of leftover runs) apart in epmd.
        var nodeName = $"{options.NodeNamePrefix}-{Guid.NewGuid().ToString("N")[..12]}@localhost";
        var (port, distributionPort) = FindFreePorts();
        var node = new RabbitMqNode(options, baseDirectory, nodeName, port, distributionPort);
        try
        {
            node.WriteConfiguration();
            await node.LaunchAsync(cancellationToken);
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Creates a connection factory for this node. Automatic recovery is off so that a helper
    /// connection fails visibly across <see cref="StopAsync"/> instead of reconnecting behind the
    /// test's back; tests can turn it on for their own connections.
    /// </summary>
    /// <returns>A new factory pointing at <see cref="AmqpUri"/>.</returns>
    public ConnectionFactory CreateConnectionFactory() => new()
    {
        Uri = AmqpUri,
        AutomaticRecoveryEnabled = false,
        TopologyRecoveryEnabled = false,
        ClientProvidedName = "integration-test-helper",
    };

    /// <summary>Opens a new AMQP connection to the node; the caller owns and closes it.</summary>
    /// <param name="cancellationToken">Cancels the connection attempt.</param>
    /// <returns>An open connection.</returns>
    public Task<IConnection> ConnectAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return CreateConnectionFactory().CreateConnectionAsync(cancellationToken);
    }

    /// <summary>
    /// Returns the number of ready messages in a queue (unacknowledged deliveries are not counted),
    /// using a passive declare on a short-lived connection.
    /// </summary>
    /// <param name="queue">The queue name.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The queue's ready-message count.</returns>
    /// <exception cref="RabbitMQ.Client.Exceptions.OperationInterruptedException">The queue does not exist.</exception>
    public async Task<uint> MessageCountAsync(string queue, CancellationToken cancellationToken = default)
    {
        await using var connection = await ConnectAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var declareOk = await channel.QueueDeclarePassiveAsync(queue, cancellationToken);
        await connection.CloseAsync(cancellationToken);
        return declareOk.MessageCount;
    }

    /// <summary>
    /// Stops the node cleanly but keeps its data directory, so <see cref="StartAgainAsync"/> can
    /// bring it back with its durable queues and persistent messages. Does nothing if it is stopped.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait; the node is then killed rather than left half-stopped.</param>
    /// <returns>A task that completes when the VM has exited and the port is free.</returns>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            await StopCoreAsync(cancellationToken);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// Starts a stopped node again on the same port, node name and data directory, and waits
    /// until it accepts AMQP connections.
    /// </summary>
    /// <param name="cancellationToken">Cancels start-up; the half-started node is then killed.</param>
    /// <returns>A task that completes when the node is ready.</returns>
    /// <exception cref="InvalidOperationException">The node is still running, or it failed to start.</exception>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        await _lifecycle.WaitAsync(cancellationToken);
        try
        {
            if (_process is not null)
            {
                throw new InvalidOperationException($"Node {NodeName} is running; call StopAsync before StartAgainAsync.");
            }

            await LaunchAsync(cancellationToken);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// Stops the node (killing its process tree if it does not stop within
    /// <see cref="RabbitMqNodeOptions.ShutdownTimeout"/>) and deletes its temp directory.
    /// Never throws.
    /// </summary>
    /// <returns>A task that completes when the node is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Teardown must not throw: an exception here would replace the test's own failure.
        var acquired = false;
        try
        {
            // Bounded so that a stuck start or stop cannot hang the test run; the forced
            // clean-up below does not need the lock to be correct.
            acquired = await _lifecycle.WaitAsync(_options.StartupTimeout + _options.ShutdownTimeout);
            await StopCoreAsync(CancellationToken.None);
        }
        catch (Exception)
        {
            // Fall through to the forced clean-up.
        }

        if (_process is { } process)
        {
            KillTree(process);
        }

        _process?.Dispose();
        _process = null;
        KillStragglers();
        _liveNodes.TryRemove(this, out _);
        TryDeleteDirectory(_baseDirectory);
        if (acquired)
        {
            // Only when held: a start or stop still running past the bounded wait would
            // otherwise hit a disposed semaphore when it releases.
            _lifecycle.Dispose();
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{NodeName} ({AmqpUri})";

    private static void InstallExitHook()
    {
        if (Interlocked.Exchange(ref _exitHookInstalled, 1) == 0)
        {
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                foreach (var node in _liveNodes.Keys)
                {
                    if (node._process is { } process)
                    {
                        KillTree(process);
                    }

                    node.KillStragglers();
                    TryDeleteDirectory(node._baseDirectory);
                }
            };
        }
    }

    private static (int Port, int DistributionPort) FindFreePorts()
    {
        // Both listeners are open at once so the two ports cannot be the same. Another process
        // may still take a port before the broker binds it; that race is rare enough for tests.
        using var amqp = new TcpListener(IPAddress.Loopback, 0);
        using var distribution = new TcpListener(IPAddress.Loopback, 0);
        amqp.Start();
        distribution.Start();
        return (((IPEndPoint)amqp.LocalEndpoint).Port, ((IPEndPoint)distribution.LocalEndpoint).Port);
    }

    private void WriteConfiguration()
    {
        if (!OperatingSystem.IsLinux())
        {
            // The node runs from a Debian-style install and stragglers are found through /proc.
            throw new PlatformNotSupportedException("RabbitMqNode supports Linux only.");
        }

        Directory.CreateDirectory(_homeDirectory);
        Directory.CreateDirectory(Path.GetDirectoryName(_consoleLogPath)!);

        // Written before the first start so the server and the CLI never race to create the
        // cookie. Erlang refuses a cookie file that group or others can read.
        var cookiePath = Path.Combine(_homeDirectory, ".erlang.cookie");
        File.WriteAllText(cookiePath, Convert.ToHexString(RandomNumberGenerator.GetBytes(20)));
        File.SetUnixFileMode(cookiePath, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var config = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"listeners.tcp.default = {LoopbackHost}:{Port}")
            .AppendLine(CultureInfo.InvariantCulture, $"consumer_timeout = {(long)_options.ConsumerTimeout.TotalMilliseconds}")
            .AppendLine("log.console = false")
            .AppendLine("log.file.level = info");
        foreach (var line in _options.ExtraConfigLines)
        {
            config.AppendLine(line);
        }

        File.WriteAllText(_serverEnvironment["RABBITMQ_CONFIG_FILE"], config.ToString());
        // Empty stand-ins for files the scripts would otherwise read from /etc/rabbitmq, so a
        // developer's system broker configuration cannot leak into the test node.
        File.WriteAllText(_serverEnvironment["RABBITMQ_ADVANCED_CONFIG_FILE"], "[].\n");
        File.WriteAllText(_serverEnvironment["RABBITMQ_CONF_ENV_FILE"], string.Empty);
        File.WriteAllText(_serverEnvironment["RABBITMQ_ENABLED_PLUGINS_FILE"], "[].\n");
    }

    private async Task LaunchAsync(CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            WorkingDirectory = _baseDirectory,
        };
        // The shell redirects output to a file instead of .NET reading pipes: Erlang's helper
        // processes inherit the descriptors, and a pipe they hold would keep WaitForExitAsync
        // waiting for end-of-file. The log file also survives for post-mortems.
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add("exec \"$0\" </dev/null >>\"$1\" 2>&1");
        startInfo.ArgumentList.Add(_options.ServerPath);
        startInfo.ArgumentList.Add(_consoleLogPath);
        ApplyEnvironment(startInfo, _serverEnvironment);

        var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start {_options.ServerPath}.");
        _process = process;
        _liveNodes[this] = 0;

        try
        {
            await AwaitReadyAsync(process, cancellationToken);
        }
        catch
        {
            await TerminateAsync(process);
            throw;
        }
    }

    private async Task AwaitReadyAsync(Process process, CancellationToken cancellationToken)
    {
        var timeout = _options.StartupTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var elapsed = Stopwatch.StartNew();
        var lastAttempt = "no readiness check completed";

        try
        {
            // await_startup fails at once until the node has registered with epmd, then blocks
            // until the broker has booted, so it is retried until it succeeds.
            while (true)
            {
                if (process.HasExited)
                {
                    throw StartupFailure($"rabbitmq-server exited with code {process.ExitCode} during start-up", lastAttempt);
                }

                var remainingSeconds = Math.Max(1, (int)Math.Ceiling((timeout - elapsed.Elapsed).TotalSeconds));
                var result = await RunCtlAsync(["--timeout", remainingSeconds.ToString(CultureInfo.InvariantCulture), "await_startup"], deadline.Token);
                if (result.ExitCode == 0)
                {
                    break;
                }

                lastAttempt = $"rabbitmqctl await_startup exited with {result.ExitCode}: {result.Output}";
                await Task.Delay(PollInterval, deadline.Token);
            }

            // A booted node has its listener up, but only an AMQP handshake proves that a client
            // on this machine can reach it and log in as guest.
            while (true)
            {
                try
                {
                    await using var connection = await ConnectAsync(deadline.Token);
                    await connection.CloseAsync(deadline.Token);
                    return;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    lastAttempt = $"AMQP connection to {AmqpUri} failed: {ex.Message}";
                    await Task.Delay(PollInterval, deadline.Token);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw StartupFailure($"node was not ready within {timeout.TotalSeconds:0} s", lastAttempt);
        }
    }

    private InvalidOperationException StartupFailure(string reason, string lastAttempt) => new(
        $"""
        RabbitMQ test node {NodeName} failed to start: {reason}.
        Last readiness check: {lastAttempt.Trim()}
        --- {_consoleLogPath} (tail) ---
        {ReadTail(_consoleLogPath)}
        --- {_nodeLogPath} (tail) ---
        {ReadTail(_nodeLogPath)}
        """);

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        if (_process is not { } process)
        {
            return;
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.ShutdownTimeout);
            if (!process.HasExited)
            {
                // A clean stop, not a kill: the point of stop-and-start tests is that the broker
                // persists what a real broker persists across a restart. The exit code does not
                // matter; the VM exiting is what is awaited.
                await RunCtlAsync(["stop"], timeout.Token);
                await process.WaitForExitAsync(timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Did not stop in time; TerminateAsync kills it.
        }
        finally
        {
            await TerminateAsync(process);
        }
    }

    private async Task TerminateAsync(Process process)
    {
        KillTree(process);
        using (var wait = new CancellationTokenSource(KillWait))
        {
            try
            {
                await process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                // A process that survives SIGKILL is beyond our reach; the straggler sweep tries again.
            }
        }

        KillStragglers();
        process.Dispose();
        _process = null;
        _liveNodes.TryRemove(this, out _);
    }

    private async Task<(int ExitCode, string Output)> RunCtlAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(_options.CtlPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.ArgumentList.Add("-n");
        startInfo.ArgumentList.Add(NodeName);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        ApplyEnvironment(startInfo, _cliEnvironment);

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start {_options.CtlPath}.");
        process.StandardInput.Close();
        // Not cancelled with the token: killing the process ends the streams anyway.
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            KillTree(process);
            throw;
        }

        return (process.ExitCode, (await stdout) + (await stderr));
    }

    private static void ApplyEnvironment(ProcessStartInfo startInfo, IReadOnlyDictionary<string, string> variables)
    {
        // Inherited RABBITMQ_* settings (a developer's shell, a CI service definition) would
        // redirect the node to other files or ports; NOTIFY_SOCKET would make the start script
        // behave as under systemd.
        var inherited = startInfo.Environment.Keys
            .Where(key => key.StartsWith("RABBITMQ_", StringComparison.Ordinal) || key == "NOTIFY_SOCKET")
            .ToList();
        foreach (var key in inherited)
        {
            startInfo.Environment.Remove(key);
        }

        foreach (var (key, value) in variables)
        {
            startInfo.Environment[key] = value;
        }
    }

    private static void KillTree(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already exited, or exited while the tree was being walked.
        }
    }

    /// <summary>
    /// Kills any process still carrying this node's name in its environment. The start script
    /// runs the VM as its child, so if the script dies first the VM is reparented and no longer
    /// part of the tree that <see cref="KillTree"/> walks; the node name is unique, so this
    /// sweep cannot hit another node.
    /// </summary>
    private void KillStragglers()
    {
        var marker = Encoding.UTF8.GetBytes($"{NodeNameVariable}={NodeName}\0");
        string[] entries;
        try
        {
            entries = Directory.GetDirectories("/proc");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (var entry in entries)
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var environment = File.ReadAllBytes(Path.Combine(entry, "environ"));
                if (environment.AsSpan().IndexOf(marker) < 0)
                {
                    continue;
                }

                using var straggler = Process.GetProcessById(pid);
                straggler.Kill(entireProcessTree: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException
                                           or InvalidOperationException or Win32Exception)
            {
                // Exited meanwhile, or not ours to read.
            }
        }
    }

    private static string ReadTail(string path)
    {
        try
        {
            var text = File.ReadAllText(path);
            return text.Length <= LogTailChars ? text : "..." + text[^LogTailChars..];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"(not readable: {ex.Message})";
        }
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover temp directory is harmless; failing teardown over it is not.
        }
    }
}
