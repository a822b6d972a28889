using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Docker.DotNet;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Images;
using DotNet.Testcontainers.Networks;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// A throw-away three-node RabbitMQ cluster of the local <see cref="Requirements.BrokerImage"/>: a user-defined
/// network, fixed node names (<c>rabbit@&lt;container name&gt;</c>), one shared Erlang cookie, nodes 2 and 3 joined to
/// node 1 with <c>rabbitmqctl join_cluster</c>, each node's AMQP port published on a fixed port of 127.0.0.1.
/// </summary>
public sealed class RabbitMqCluster : IAsyncDisposable
{
    private const ushort AmqpPort = 5672;
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(60);

    private readonly INetwork _network;
    private readonly IReadOnlyList<IContainer> _nodes;
    private readonly DockerClient _docker;

    private RabbitMqCluster(INetwork network, IReadOnlyList<IContainer> nodes, IReadOnlyList<string> names, IReadOnlyList<Uri> uris, DockerClient docker)
    {
        _network = network;
        _nodes = nodes;
        NodeNames = names;
        AmqpUris = uris;
        _docker = docker;
    }

    /// <summary>The Erlang node names, <c>rabbit@…</c>, in node order.</summary>
    public IReadOnlyList<string> NodeNames { get; }

    /// <summary>Each node's AMQP URI on 127.0.0.1 (guest), in node order; each stays the same across a restart.</summary>
    public IReadOnlyList<Uri> AmqpUris { get; }

    /// <summary>Starts three nodes, clusters them and waits until all three run.</summary>
    public static async Task<RabbitMqCluster> StartAsync(CancellationToken cancellationToken)
    {
        var docker = new DockerClientBuilder().Build();
        var id = Guid.NewGuid().ToString("N")[..8];
        using (var deadline = Deadline(CallTimeout, cancellationToken))
        {
            await Requirements.EnsureBrokerImageAsync(docker, deadline.Token);
            await TestcontainersPreparation.EnsureAsync(docker, deadline.Token);
        }

        var network = new NetworkBuilder().WithName("dxt-it-cluster-" + id).Build();
        var cookie = Guid.NewGuid().ToString("N").ToUpperInvariant();
        var owner = TestProcessIdentity.Current;
        var names = Enumerable.Range(1, 3).Select(n => $"dxt-{id}-node{n}").ToList();
        var ports = FreePorts(3);
        var uris = ports.Select(p => new Uri($"amqp://guest:guest@127.0.0.1:{p.ToString(CultureInfo.InvariantCulture)}/")).ToList();
        var nodes = names.Select((name, i) => new ContainerBuilder(Requirements.BrokerImage)
                .WithImagePullPolicy(PullPolicy.Never)
                .WithName(name)
                .WithHostname(name)
                .WithNetwork(network)
                .WithNetworkAliases(name)
                .WithEnvironment("RABBITMQ_NODENAME", "rabbit@" + name)
                .WithEnvironment("ERLANG_COOKIE", cookie)
                // The same cookie on every node (and for rabbitmqctl, which runs with the same HOME) lets them cluster.
                .WithEntrypoint("/bin/sh", "-c",
                    "printf %s \"$ERLANG_COOKIE\" >\"$HOME/.erlang.cookie\" && chmod 400 \"$HOME/.erlang.cookie\" && exec /usr/lib/rabbitmq/bin/rabbitmq-server")
                .WithPortBinding(ports[i], AmqpPort)
                .WithCreateParameterModifier(parameters => parameters.HostConfig!.PortBindings[$"{AmqpPort}/tcp"] =
                    [new PortBinding { HostIP = "127.0.0.1", HostPort = ports[i].ToString(CultureInfo.InvariantCulture) }])
                .WithLabel(RabbitMqBroker.Labels.Broker, "test-cluster")
                .WithLabel(RabbitMqBroker.Labels.OwnerPid, owner.Pid.ToString(CultureInfo.InvariantCulture))
                .WithLabel(RabbitMqBroker.Labels.OwnerStart, owner.StartMark)
                .WithWaitStrategy(Wait.ForUnixContainer().AddCustomWaitStrategy(new AmqpHandshakeWait(uris[i]), s => s.WithTimeout(StartupTimeout)))
                .Build())
            .ToList<IContainer>();
        var cluster = new RabbitMqCluster(network, nodes, names.Select(n => "rabbit@" + n).ToList(), uris, docker);
        try
        {
            using var deadline = Deadline(StartupTimeout + CallTimeout, cancellationToken);
            await network.CreateAsync(deadline.Token);
            await Task.WhenAll(nodes.Select(n => n.StartAsync(deadline.Token)));
            foreach (var node in nodes.Skip(1))
            {
                await RabbitmqctlAsync(node, ["stop_app"], deadline.Token);
                await RabbitmqctlAsync(node, ["join_cluster", cluster.NodeNames[0]], deadline.Token);
                await RabbitmqctlAsync(node, ["start_app"], deadline.Token);
            }

            await cluster.WaitForRunningNodesAsync(3, deadline.Token);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills node <paramref name="index"/> (0-based) with SIGKILL; <see cref="StartAgainAsync"/> brings it back.</summary>
    public async Task KillAsync(int index, CancellationToken cancellationToken)
    {
        using var deadline = Deadline(CallTimeout, cancellationToken);
        await _docker.Containers.KillContainerAsync(_nodes[index].Id, new ContainerKillParameters { Signal = "KILL" }, deadline.Token);
        // Brings Testcontainers' view to "exited", so StartAgainAsync starts it as usual.
        await _nodes[index].StopAsync(deadline.Token);
    }

    /// <summary>Starts a killed node again (same name, data and port) and waits until the cluster has three running nodes.</summary>
    public async Task StartAgainAsync(int index, CancellationToken cancellationToken)
    {
        using var deadline = Deadline(StartupTimeout + CallTimeout, cancellationToken);
        await _nodes[index].StartAsync(deadline.Token);
        await WaitForRunningNodesAsync(3, deadline.Token);
    }

    /// <summary>Runs rabbitmqctl on node <paramref name="index"/>; returns stdout, throws on a non-zero exit.</summary>
    public Task<string> RabbitmqctlAsync(int index, IList<string> arguments, CancellationToken cancellationToken) =>
        RabbitmqctlAsync(_nodes[index], arguments, cancellationToken);

    /// <summary>Name and ready-message count of every queue, as node <paramref name="index"/> sees them.</summary>
    public async Task<IReadOnlyDictionary<string, long>> QueuesAsync(int index, CancellationToken cancellationToken)
    {
        var json = await RabbitmqctlAsync(index, ["list_queues", "name", "messages", "--formatter", "json", "--quiet"], cancellationToken);
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().ToDictionary(q => q.GetProperty("name").GetString()!, q => q.GetProperty("messages").GetInt64());
    }

    private async Task WaitForRunningNodesAsync(int count, CancellationToken cancellationToken)
    {
        var last = "";
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                last = await RabbitmqctlAsync(_nodes[^1], ["cluster_status", "--formatter", "json"], cancellationToken);
                using var document = JsonDocument.Parse(last);
                if (document.RootElement.GetProperty("running_nodes").GetArrayLength() >= count)
                {
                    return;
                }
            }
            catch (ExecFailedException e)
            {
                last = e.Message;
            }
            catch (JsonException)
            {
                // Not yet answering with JSON; keep polling until the deadline.
            }

            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The cluster did not reach {count} running nodes: {last}");
            }
        }
    }

    private static async Task<string> RabbitmqctlAsync(IContainer node, IList<string> arguments, CancellationToken cancellationToken)
    {
        var result = await node.ExecAsync(["rabbitmqctl", .. arguments], cancellationToken);
        return result.ExitCode == 0 ? result.Stdout : throw new ExecFailedException(result);
    }

    private static List<int> FreePorts(int count)
    {
        var ports = new List<int>();
        for (var attempt = 0; ports.Count < count && attempt < 500; attempt++)
        {
            // Below the ephemeral range, so no outgoing connection takes it while a node is down.
            var candidate = Random.Shared.Next(20000, 32000);
            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, candidate);
                probe.Start();
                if (!ports.Contains(candidate))
                {
                    ports.Add(candidate);
                }
            }
            catch (SocketException)
            {
                // Taken; try another.
            }
        }

        return ports.Count == count ? ports : throw new InvalidOperationException("No free TCP ports between 20000 and 32000 on 127.0.0.1.");
    }

    private static CancellationTokenSource Deadline(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        return deadline;
    }

    /// <summary>Removes the nodes and the network. Never throws.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            try
            {
                await node.DisposeAsync();
            }
            catch (Exception)
            {
                // Teardown must not hide the test's own failure; the broker sweep removes labelled leftovers.
            }
        }

        try
        {
            await _network.DeleteAsync();
        }
        catch (Exception)
        {
            // As above.
        }

        _docker.Dispose();
    }
}
