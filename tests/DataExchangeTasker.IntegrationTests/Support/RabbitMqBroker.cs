using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Docker.DotNet;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Images;
using RabbitMQ.Client;
using Testcontainers.RabbitMq;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// A private, throw-away RabbitMQ broker for integration tests: a Testcontainers container of the local
/// <see cref="Requirements.BrokerImage"/> (Debian's rabbitmq-server), published on a fixed port of 127.0.0.1.
/// </summary>
/// <remarks>
/// The host port is chosen once and bound explicitly, so it survives <see cref="StopAsync"/> /
/// <see cref="StartAgainAsync"/>: a tasker under test keeps its URI across a broker outage, as against a real broker.
/// The container keeps its data across a restart (durable queues, persistent messages). Disposal removes it; the
/// containers of a test host that died first are removed by <see cref="BrokerLeftoverSweep"/>.
/// </remarks>
public sealed class RabbitMqBroker : IAsyncDisposable
{
    private const ushort AmqpPort = 5672;
    private const string LoopbackHost = "127.0.0.1";
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private readonly RabbitMqContainer _container;
    private readonly DockerClient _docker;
    private int _disposed;

    private RabbitMqBroker(RabbitMqContainer container, DockerClient docker, int port)
    {
        _container = container;
        _docker = docker;
        Port = port;
        AmqpUri = AmqpUriFor(port);
    }

    /// <summary>The AMQP URI of the broker, with the <c>guest</c> credentials the image allows from the host.</summary>
    public Uri AmqpUri { get; }

    /// <summary>The AMQP port on 127.0.0.1; it stays the same across <see cref="StartAgainAsync"/>.</summary>
    public int Port { get; }

    /// <summary>The broker container's id, for assertions or <c>docker logs</c> when a test fails.</summary>
    public string ContainerId => _container.Id;

    /// <summary>Starts a new broker container and waits until a client on this host can log in.</summary>
    /// <param name="cancellationToken">Cancels start-up; the half-started container is then removed.</param>
    /// <returns>The running broker. The caller owns it and must dispose it.</returns>
    /// <exception cref="InvalidOperationException">The broker image is missing (scripts/setup.sh builds it).</exception>
    public static async Task<RabbitMqBroker> StartAsync(CancellationToken cancellationToken = default)
    {
        var docker = new DockerClientBuilder().Build();
        RabbitMqContainer? container = null;
        try
        {
            using (var deadline = Deadline(CallTimeout, cancellationToken))
            {
                await Requirements.EnsureBrokerImageAsync(docker, deadline.Token);
                await TestcontainersPreparation.EnsureAsync(docker, deadline.Token);
                await BrokerLeftoverSweep.RunOnceAsync(docker, deadline.Token);
            }

            var port = FindFreePort();
            var owner = TestProcessIdentity.Current;
            container = new RabbitMqBuilder(Requirements.BrokerImage)
                .WithImagePullPolicy(PullPolicy.Never)
                // The builder passes these as RABBITMQ_DEFAULT_USER/_PASS, which only the official image reads; the
                // local image lets guest in through the published port instead (loopback_users = none). Set to guest
                // so the container's own connection string agrees with AmqpUri.
                .WithUsername("guest")
                .WithPassword("guest")
                .WithPortBinding(port, AmqpPort)
                // Loopback only: guest/guest must not be reachable from outside this machine.
                .WithCreateParameterModifier(parameters => parameters.HostConfig!.PortBindings[$"{AmqpPort}/tcp"] =
                    [new PortBinding { HostIP = LoopbackHost, HostPort = port.ToString(CultureInfo.InvariantCulture) }])
                .WithLabel(Labels.Broker, "test")
                .WithLabel(Labels.OwnerPid, owner.Pid.ToString(CultureInfo.InvariantCulture))
                .WithLabel(Labels.OwnerStart, owner.StartMark)
                .WithWaitStrategy(Wait.ForUnixContainer().AddCustomWaitStrategy(
                    new AmqpHandshakeWait(AmqpUriFor(port)), strategy => strategy.WithTimeout(StartupTimeout)))
                .Build();
            using (var deadline = Deadline(StartupTimeout + CallTimeout, cancellationToken))
            {
                await container.StartAsync(deadline.Token);
            }

            return new RabbitMqBroker(container, docker, port);
        }
        catch
        {
            if (container is not null)
            {
                await container.DisposeAsync();
            }

            docker.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates a connection factory for this broker. Automatic recovery is off so that a helper connection fails
    /// visibly across <see cref="StopAsync"/> instead of reconnecting behind the test's back.
    /// </summary>
    /// <returns>A new factory pointing at <see cref="AmqpUri"/>.</returns>
    public ConnectionFactory CreateConnectionFactory() => new()
    {
        Uri = AmqpUri,
        AutomaticRecoveryEnabled = false,
        TopologyRecoveryEnabled = false,
        RequestedConnectionTimeout = CallTimeout,
        ClientProvidedName = "integration-test-helper",
    };

    /// <summary>Opens a new AMQP connection to the broker; the caller owns and closes it.</summary>
    /// <param name="cancellationToken">Cancels the connection attempt.</param>
    /// <returns>An open connection.</returns>
    public Task<IConnection> ConnectAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return CreateConnectionFactory().CreateConnectionAsync(cancellationToken);
    }

    /// <summary>
    /// Returns the number of ready messages in a queue (unacknowledged deliveries are not counted), using a passive
    /// declare on a short-lived connection.
    /// </summary>
    /// <param name="queue">The queue name.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The queue's ready-message count.</returns>
    /// <exception cref="RabbitMQ.Client.Exceptions.OperationInterruptedException">The queue does not exist.</exception>
    public async Task<uint> MessageCountAsync(string queue, CancellationToken cancellationToken = default)
    {
        using var deadline = Deadline(CallTimeout, cancellationToken);
        await using var connection = await ConnectAsync(deadline.Token);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: deadline.Token);
        var declareOk = await channel.QueueDeclarePassiveAsync(queue, deadline.Token);
        await connection.CloseAsync(deadline.Token);
        return declareOk.MessageCount;
    }

    /// <summary>
    /// Stops the broker cleanly (SIGTERM, as a service manager would) but keeps the container, so
    /// <see cref="StartAgainAsync"/> brings it back with its durable queues and persistent messages.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the container has exited.</returns>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        using var deadline = Deadline(StopTimeout, cancellationToken);
        await _container.StopAsync(deadline.Token);
    }

    /// <summary>
    /// Kills the broker with SIGKILL: no clean shutdown, what a crashed host or an OOM kill looks like to clients.
    /// <see cref="StartAgainAsync"/> brings it back.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the container has exited.</returns>
    public async Task KillAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        using var deadline = Deadline(StopTimeout, cancellationToken);
        await _docker.Containers.KillContainerAsync(_container.Id, new ContainerKillParameters { Signal = "KILL" }, deadline.Token);
        // Brings Testcontainers' view of the container to "exited" (stopping an exited container does nothing), so
        // StartAgainAsync starts it the same way as after StopAsync.
        await _container.StopAsync(deadline.Token);
    }

    /// <summary>Starts the stopped or killed broker again on the same port and data, and waits until it is ready.</summary>
    /// <param name="cancellationToken">Cancels start-up.</param>
    /// <returns>A task that completes when a client can log in again.</returns>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        using var deadline = Deadline(StartupTimeout + CallTimeout, cancellationToken);
        await _container.StartAsync(deadline.Token);
    }

    /// <summary>Runs a command in the broker container.</summary>
    /// <param name="command">The program and its arguments.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Its exit code and output, whatever the exit code.</returns>
    public async Task<ExecResult> ExecAsync(IList<string> command, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        using var deadline = Deadline(StopTimeout, cancellationToken);
        return await _container.ExecAsync(command, deadline.Token);
    }

    /// <summary>
    /// Runs <c>rabbitmqctl</c> in the broker container, for example <c>stop_app</c> / <c>start_app</c> to take the
    /// broker away while its container (and port) stays up.
    /// </summary>
    /// <param name="arguments">The rabbitmqctl arguments.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Its standard output.</returns>
    /// <exception cref="ExecFailedException">rabbitmqctl exited non-zero.</exception>
    public async Task<string> RabbitmqctlAsync(IEnumerable<string> arguments, CancellationToken cancellationToken = default)
    {
        var result = await ExecAsync(["rabbitmqctl", .. arguments], cancellationToken);
        return result.ExitCode == 0 ? result.Stdout : throw new ExecFailedException(result);
    }

    /// <summary>
    /// Freezes the broker's processes (<c>docker pause</c>): connections stay open but nothing answers, so a client's
    /// RPCs run into their timeout. <see cref="UnpauseAsync"/> lets it go on.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the container is paused.</returns>
    public async Task PauseAsync(CancellationToken cancellationToken = default)
    {
        using var deadline = Deadline(CallTimeout, cancellationToken);
        await _docker.Containers.PauseContainerAsync(_container.Id, deadline.Token);
    }

    /// <summary>Unfreezes a broker paused with <see cref="PauseAsync"/>.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the container runs again.</returns>
    public async Task UnpauseAsync(CancellationToken cancellationToken = default)
    {
        using var deadline = Deadline(CallTimeout, cancellationToken);
        await _docker.Containers.UnpauseContainerAsync(_container.Id, deadline.Token);
    }

    /// <summary>
    /// Ready and unacknowledged messages and consumers of <paramref name="queue"/>, as <c>rabbitmqctl list_queues</c>
    /// reports them (unlike a passive declare, this counts unacknowledged deliveries too).
    /// </summary>
    /// <param name="queue">The queue name.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The counts.</returns>
    /// <exception cref="InvalidOperationException">The queue is not listed.</exception>
    public async Task<QueueCounts> QueueCountsAsync(string queue, CancellationToken cancellationToken = default)
    {
        var output = await RabbitmqctlAsync(["list_queues", "-q", "--no-table-headers", "name", "messages_ready", "messages_unacknowledged", "consumers"], cancellationToken);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var columns = line.Split('\t');
            if (columns.Length == 4 && columns[0] == queue)
            {
                return new QueueCounts(
                    int.Parse(columns[1], CultureInfo.InvariantCulture), int.Parse(columns[2], CultureInfo.InvariantCulture), int.Parse(columns[3], CultureInfo.InvariantCulture));
            }
        }

        throw new InvalidOperationException($"Queue {queue} not listed by rabbitmqctl: {output}");
    }

    /// <summary>The prefetch count of every consumer of <paramref name="queue"/> (<c>rabbitmqctl list_consumers</c>).</summary>
    /// <param name="queue">The queue name.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>One entry per consumer.</returns>
    public async Task<IReadOnlyList<int>> ConsumerPrefetchesAsync(string queue, CancellationToken cancellationToken = default)
    {
        var output = await RabbitmqctlAsync(["list_consumers", "-q", "--no-table-headers", "queue_name", "prefetch_count"], cancellationToken);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .Where(columns => columns.Length == 2 && columns[0] == queue)
            .Select(columns => int.Parse(columns[1], CultureInfo.InvariantCulture))
            .ToList();
    }

    /// <summary>Removes the container and its data. Never throws.</summary>
    /// <returns>A task that completes when the container is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _container.DisposeAsync();
        }
        catch (Exception)
        {
            // Teardown must not replace the test's own failure; the next session's sweep removes what is left.
        }

        _docker.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"RabbitMQ container {_container.Id[..12]} ({AmqpUri})";

    private static Uri AmqpUriFor(int port) =>
        new($"amqp://guest:guest@{LoopbackHost}:{port.ToString(CultureInfo.InvariantCulture)}/");

    private static CancellationTokenSource Deadline(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        return deadline;
    }

    private static int FindFreePort()
    {
        // Outside the kernel's ephemeral range (32768+), where the local end of an outgoing connection could take the
        // port while the broker is stopped. Another process may still bind it first; rare enough for tests.
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var candidate = Random.Shared.Next(20000, 32000);
            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, candidate);
                probe.Start();
                return candidate;
            }
            catch (SocketException)
            {
                // Taken; try another.
            }
        }

        throw new InvalidOperationException("No free TCP port between 20000 and 32000 on 127.0.0.1 for the test broker.");
    }

    /// <summary>Labels on broker containers, read by <see cref="BrokerLeftoverSweep"/>.</summary>
    internal static class Labels
    {
        /// <summary>Marks a test broker container.</summary>
        public const string Broker = "dataexchange.tasker.test-broker";

        /// <summary>Pid of the test host that owns it.</summary>
        public const string OwnerPid = "dataexchange.tasker.test-broker.owner-pid";

        /// <summary><see cref="TestProcessIdentity.StartMark"/> of that test host.</summary>
        public const string OwnerStart = "dataexchange.tasker.test-broker.owner-start";
    }
}

/// <summary>What <c>rabbitmqctl list_queues</c> says about one queue.</summary>
/// <param name="Ready">Messages waiting for a consumer.</param>
/// <param name="Unacknowledged">Messages delivered and not yet acknowledged.</param>
/// <param name="Consumers">Registered consumers.</param>
public sealed record QueueCounts(int Ready, int Unacknowledged, int Consumers);
