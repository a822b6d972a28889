using System.Text;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Hosting;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Protocol;
using RabbitMQ.Client;

namespace DataExchangeTasker.IntegrationTests.Messaging;

/// <summary>Queue declaration: durable queues of the configured type where none exist, what exists used as it is.</summary>
[Collection(TaskerCollection.Name)]
public sealed class TopologyTests(TaskerFixture fixture)
{
    [Fact]
    public async Task Run_ExistingQueueOfOtherType_IsUsedAsItIs()
    {
        var code = fixture.WriteCode("other-type", "print('as is')\n");
        var data = fixture.WriteData("other-type.txt", "x");
        var todo = "other-type-" + Guid.NewGuid().ToString("N")[..8];
        await using var connection = await fixture.Broker.ConnectAsync();
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync(todo, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
        }

        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?>
        {
            [Settings.QueueType.Name] = "classic",
            [Settings.TodoQueue.Name] = todo,
            [Settings.DoneQueue.Name] = todo + ".done",
        });
        await using (var channel = await connection.CreateChannelAsync())
        {
            await TestQueues.PublishAsync(channel, todo, Encoding.UTF8.GetBytes($"{{\"taskId\":\"as-is-1\",\"codePath\":\"{code}\",\"dataPath\":\"{data}\"}}"));
            var done = await TestQueues.CollectAsync(channel, todo + ".done", 1, TimeSpan.FromSeconds(60));
            Assert.Equal("as is\n", InProcessTasker.Parse(done[0]).ContainerOutput!.Stdout);
        }

        // Still the quorum queue it was: re-declaring it as classic is refused.
        await using var probe = await connection.CreateChannelAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => probe.QueueDeclareAsync(todo, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "classic" }));
    }

    [Fact]
    public async Task Start_BrokerSlowToAnswerTheExchangeDeclaration_RetriesAndBecomesReady()
    {
        var code = fixture.WriteCode("slow-declare", "print('after a slow start')\n");
        var data = fixture.WriteData("slow-declare.txt", "x");
        // Past the client's 20 s RPC timeout: the declaration's answer comes too late once, as from a broker under load.
        var (classId, methodId) = AmqpDelayProxy.ExchangeDeclare;
        await using var proxy = new AmqpDelayProxy(fixture.Broker.AmqpUri, classId, methodId, TimeSpan.FromSeconds(25), count: 1);
        var env = fixture.ProcessEnvironment("slow-declare");
        env["TASKER_AMQP_URI"] = proxy.AmqpUri.ToString();

        await using var tasker = TaskerProcess.Start(env, "run");
        await tasker.WaitForOutputAsync("Ready", TimeSpan.FromSeconds(120));

        Assert.Equal(1, proxy.Delayed);
        Assert.DoesNotContain("unexpected error", tasker.Output, StringComparison.Ordinal);
        Assert.Contains("retrying", tasker.Output, StringComparison.Ordinal);
        await using var client = InProcessTasker.Client(fixture, TaskerFixture.QueuesOf(env));
        var done = await client.RunAsync(new StartMessage("slow-declare-1", code, data));
        Assert.Equal("after a slow start\n", done.ContainerOutput!.Stdout);
        // Stopped cleanly, once its container is gone (a kill would leave it for its collect window).
        var removedBy = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await fixture.Docker.ListContainersAsync(new Dictionary<string, string?> { [DataExchangeTasker.Sandbox.Spec.ContainerLabels.Owner] = env["TASKER_ID"] }, CancellationToken.None)).Count > 0)
        {
            Assert.True(DateTime.UtcNow < removedBy, "the task's container was not removed");
            await Task.Delay(100);
        }

        await tasker.SignalAsync("TERM");
        Assert.Equal(0, await tasker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Start_DeclarationOffAndQueueMissing_FailsSayingSo()
    {
        var options = Options("absent-" + Guid.NewGuid().ToString("N")[..8], "classic", declare: false);

        var error = await Assert.ThrowsAsync<TopologyMismatchException>(() => new TaskerHost(options, Serilog.Core.Logger.None).RunAsync(CancellationToken.None, CancellationToken.None));

        Assert.Contains("does not exist and TASKER_DECLARE_TOPOLOGY=false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_QuorumQueues_TaskCompletesAndQueuesAreQuorumAndDurable()
    {
        var code = fixture.WriteCode("quorum", "print('q')\n");
        var data = fixture.WriteData("quorum.txt", "x");
        var todo = "quorum-" + Guid.NewGuid().ToString("N")[..8];
        // Declared as quorum first, exactly as the tasker does, so the test client's plain declare is not the one that wins.
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?>
        {
            [Settings.QueueType.Name] = "quorum",
            [Settings.TodoQueue.Name] = todo,
            [Settings.DoneQueue.Name] = todo + ".done",
        });
        await using var connection = await fixture.Broker.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        await TestQueues.PublishAsync(channel, todo, Encoding.UTF8.GetBytes($"{{\"taskId\":\"q-1\",\"codePath\":\"{code}\",\"dataPath\":\"{data}\"}}"));

        var done = await TestQueues.CollectAsync(channel, todo + ".done", 1, TimeSpan.FromSeconds(60));

        Assert.Equal(TaskStates.Success, InProcessTasker.Parse(done[0]).State);
        // Re-declaring as classic must now be refused by the broker: the queue really is a quorum queue.
        await using var probe = await connection.CreateChannelAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => probe.QueueDeclareAsync(todo, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "classic" }));
    }

    [Fact]
    public async Task Run_ExchangeRoute_StartMessagePublishedToTodoExchangeIsConsumed()
    {
        var code = fixture.WriteCode("via-exchange", "print('routed')\n");
        var data = fixture.WriteData("via-exchange.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);
        await using var connection = await fixture.Broker.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var todo = tasker.Options.Messaging.TodoQueue;

        await channel.BasicPublishAsync(todo, todo, mandatory: true, new BasicProperties { Persistent = true },
            Encoding.UTF8.GetBytes($"{{\"taskId\":\"ex-1\",\"codePath\":\"{code}\",\"dataPath\":\"{data}\"}}"));
        var done = (await tasker.CollectResultsAsync(1, TimeSpan.FromSeconds(60)))[0];

        Assert.Equal("routed\n", done.ContainerOutput!.Stdout);
    }

    [Fact]
    public async Task Run_StartMessageWithTraceparent_DoneMessageContinuesTheTrace()
    {
        var code = fixture.WriteCode("traced", "print('t')\n");
        var data = fixture.WriteData("traced.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";

        await tasker.PublishAsync(new StartMessage("trace-1", code, data), new BasicProperties
        {
            Headers = new Dictionary<string, object?> { ["traceparent"] = $"00-{traceId}-00f067aa0ba902b7-01" },
        });
        var done = (await tasker.CollectDoneAsync(1, TimeSpan.FromSeconds(60)))[0];

        Assert.Contains(traceId, done.HeaderString("traceparent"), StringComparison.Ordinal);
    }

    private TaskerOptions Options(string todo, string queueType, bool declare) => TaskerOptionsLoader.Load(new Dictionary<string, string?>
    {
        [Settings.AmqpUri.Name] = fixture.Broker.AmqpUri.ToString(),
        [Settings.CodeRoot.Name] = fixture.CodeRoot,
        [Settings.DataRoot.Name] = fixture.DataRoot,
        [Settings.WorkRoot.Name] = Path.Combine(fixture.Root, "work-" + todo),
        [Settings.TodoQueue.Name] = todo,
        [Settings.DoneQueue.Name] = todo + ".done",
        [Settings.QueueType.Name] = queueType,
        [Settings.DeclareTopology.Name] = declare ? "true" : "false",
        [Settings.HttpBind.Name] = "off",
    });
}
