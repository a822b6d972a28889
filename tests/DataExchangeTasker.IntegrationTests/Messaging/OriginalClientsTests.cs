using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Preparation;
using RabbitMQ.Client;

namespace DataExchangeTasker.IntegrationTests.Messaging;

/// <summary>
/// Drop-in for the Scala tasker: its unchanged v0.1 publisher and listener (pika, as they declare and consume) against
/// the real tasker binary, with the original's topology already on the broker and in both start orders.
/// </summary>
[Collection(TaskerCollection.Name)]
public sealed class OriginalClientsTests(TaskerFixture fixture)
{
    private const string TopologyWarning = "The broker topology in use loses messages";
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ListenerDeadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Run_OriginalTopologyOnTheBroker_DefaultSettingsStartWarnOnceAndTheOriginalListenerGetsTheDone()
    {
        var env = fixture.ProcessEnvironment("v01-pre");
        await DeclareAsTheScalaTaskerDidAsync(env["TASKER_TODO_QUEUE"]!, env["TASKER_DONE_QUEUE"]!);

        await using var tasker = TaskerProcess.Start(env, "run");
        await tasker.WaitForOutputAsync("Ready", ReadyTimeout);
        await using var listener = await StartListenerAsync(env);
        var done = await RunOneTheOriginalWayAsync(env, listener, "v01-pre-1");

        Assert.Equal(TaskStates.Success, done.State);
        Assert.Equal("drop-in\n", done.ContainerOutput!.Stdout);
        var warnings = tasker.Output.Split('\n').Where(l => l.Contains(TopologyWarning, StringComparison.Ordinal)).ToList();
        var warning = Assert.Single(warnings);
        Assert.Contains($"queue {env["TASKER_TODO_QUEUE"]} is non-durable", warning, StringComparison.Ordinal);
        Assert.Contains($"queue {env["TASKER_DONE_QUEUE"]} is non-durable", warning, StringComparison.Ordinal);
        Assert.Contains("delivery_mode=1", warning, StringComparison.Ordinal);
        Assert.Contains("rabbitmqctl delete_queue", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_LegacyTopologyTaskerFirst_OriginalListenerDeclaresAndGetsTheDone()
    {
        var env = fixture.ProcessEnvironment("v01-tf");
        env["TASKER_LEGACY_TOPOLOGY"] = "true";

        await using var tasker = TaskerProcess.Start(env, "run");
        await tasker.WaitForOutputAsync("Ready", ReadyTimeout);
        await using var listener = await StartListenerAsync(env);
        var done = await RunOneTheOriginalWayAsync(env, listener, "v01-tf-1");

        Assert.Equal(TaskStates.Success, done.State);
        Assert.Contains("TASKER_LEGACY_TOPOLOGY=true keeps the Scala tasker's non-durable topology on purpose",
            Assert.Single(tasker.Output.Split('\n'), l => l.Contains(TopologyWarning, StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Run_OriginalListenerFirst_TaskerStartsAndTheListenerGetsTheDone(bool legacy)
    {
        var env = fixture.ProcessEnvironment("v01-lf");
        env["TASKER_LEGACY_TOPOLOGY"] = legacy ? "true" : "false";

        await using var listener = await StartListenerAsync(env);
        await using var tasker = TaskerProcess.Start(env, "run");
        await tasker.WaitForOutputAsync("Ready", ReadyTimeout);
        var done = await RunOneTheOriginalWayAsync(env, listener, "v01-lf-1");

        Assert.Equal(TaskStates.Success, done.State);
        // Either way the listener's non-durable done queue is used as it is, and said so once.
        var warning = Assert.Single(tasker.Output.Split('\n'), l => l.Contains(TopologyWarning, StringComparison.Ordinal));
        Assert.Contains($"queue {env["TASKER_DONE_QUEUE"]} is non-durable", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_DefaultTopologyTaskerFirst_OriginalListenerIsRefusedAsDocumented()
    {
        var env = fixture.ProcessEnvironment("v01-dur");

        await using var tasker = TaskerProcess.Start(env, "run");
        await tasker.WaitForOutputAsync("Ready", ReadyTimeout);
        await using var listener = OriginalV01Clients.StartListener(fixture.Broker.AmqpUri, env["TASKER_DONE_QUEUE"]!, 1, ListenerDeadline);

        // Why v0.1 consumers need TASKER_LEGACY_TOPOLOGY=true (README): the default declares tasker_done durable.
        Assert.NotEqual(0, await listener.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(listener.Lines, l => l.Contains("PRECONDITION_FAILED", StringComparison.Ordinal) && l.Contains("durable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_OriginalWebDavETag_OriginalListenerGetsRejectedHashMismatchNamingTheFix()
    {
        var env = fixture.ProcessEnvironment("v01-etag");
        env["TASKER_LEGACY_TOPOLOGY"] = "true";
        var code = fixture.WriteCode("v01-etag", "print('must not run')\n");
        var data = fixture.WriteData("v01-etag.txt", "x");
        await using var starts = DockerEvents.FollowStarts(env["TASKER_ID"]!);

        await using var tasker = TaskerProcess.Start(env, "run");
        await tasker.WaitForOutputAsync("Ready", ReadyTimeout);
        await using var listener = await StartListenerAsync(env);
        await OriginalV01Clients.PublishAsync(fixture.Broker.AmqpUri, env["TASKER_TODO_QUEUE"]!,
            $$$"""{"taskId":"v01-etag-1","codePath":"{{{code}}}","dataPath":"{{{data}}}","codeHash":{"eTag":"5db6a51baa9e0"}}""");
        Assert.Equal(0, await listener.WaitForExitAsync(ListenerDeadline));
        var done = Assert.Single(OriginalV01Clients.Received(listener));

        Assert.Equal("v01-etag-1", done.TaskId);
        Assert.Equal(TaskStates.Rejected, done.State);
        Assert.Equal(Reasons.HashMismatch, done.Reason);
        Assert.StartsWith("codeHash.eTag \"5db6a51baa9e0\" is not a sha256 code hash", done.Output, StringComparison.Ordinal);
        Assert.Contains("tasker hash <code folder>", done.Output, StringComparison.Ordinal);
        Assert.Empty(starts.TaskIds);
    }

    private async Task<PythonScript> StartListenerAsync(Dictionary<string, string?> env)
    {
        var listener = OriginalV01Clients.StartListener(fixture.Broker.AmqpUri, env["TASKER_DONE_QUEUE"]!, 1, ListenerDeadline);
        await listener.WaitForLineAsync("DECLARED", TimeSpan.FromSeconds(30));
        return listener;
    }

    /// <summary>Publishes one start message the original way (with the code's real hash) and returns what the listener got.</summary>
    private async Task<DoneMessage> RunOneTheOriginalWayAsync(Dictionary<string, string?> env, PythonScript listener, string taskId)
    {
        var code = fixture.WriteCode(taskId, "print('drop-in')\n");
        var data = fixture.WriteData(taskId + ".txt", "x");
        var hash = await CodeHasher.HashAsync(Path.Combine(fixture.CodeRoot, code), CancellationToken.None);

        await OriginalV01Clients.PublishAsync(fixture.Broker.AmqpUri, env["TASKER_TODO_QUEUE"]!,
            $$$"""{"taskId":"{{{taskId}}}","codePath":"{{{code}}}","dataPath":"{{{data}}}","codeHash":{"eTag":"{{{hash}}}"}}""");
        Assert.Equal(0, await listener.WaitForExitAsync(ListenerDeadline));
        var done = Assert.Single(OriginalV01Clients.Received(listener));
        Assert.Equal(taskId, done.TaskId);
        return done;
    }

    /// <summary>What the Scala tasker declared with its AMQP library's defaults: non-durable direct exchanges and queues, bound by name.</summary>
    private async Task DeclareAsTheScalaTaskerDidAsync(params string[] names)
    {
        await using var connection = await fixture.Broker.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var name in names)
        {
            await channel.ExchangeDeclareAsync(name, ExchangeType.Direct, durable: false, autoDelete: false);
            await channel.QueueDeclareAsync(name, durable: false, exclusive: false, autoDelete: false);
            await channel.QueueBindAsync(name, name, name);
        }

        await connection.CloseAsync();
    }
}
