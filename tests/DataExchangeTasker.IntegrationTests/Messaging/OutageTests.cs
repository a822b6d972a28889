using DataExchangeTasker.Configuration;
using DataExchangeTasker.Health;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.IntegrationTests.Messaging;

/// <summary>The broker and the engine go away and come back while the tasker runs.</summary>
[Collection(TaskerCollection.Name)]
public sealed class OutageTests(TaskerFixture fixture)
{
    [Fact]
    public async Task EngineUnavailable_MessagesStayQueuedAndTaskerResumesByItself()
    {
        var code = fixture.WriteCode("engine-outage", "print('after the outage')\n");
        var data = fixture.WriteData("engine-outage.txt", "x");
        await using var proxy = new SocketProxy(Path.Combine(fixture.Root, $"docker-{Guid.NewGuid():N}.sock"), "/var/run/docker.sock");
        proxy.Start();
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?> { [Settings.DockerHost.Name] = "unix://" + proxy.Path });

        await proxy.StopAsync();
        await tasker.WaitUntilAsync(() => !tasker.Health.IsUp(HealthState.Engine) && !tasker.Health.IsReady, TimeSpan.FromSeconds(30), "the tasker to notice the engine is gone");
        await tasker.WaitUntilAsync(() => !tasker.Health.IsUp(HealthState.Consumer), TimeSpan.FromSeconds(30), "intake to pause");
        await tasker.PublishAsync(new StartMessage("outage-1", code, data));
        // Polled twice across several engine checks: the message is not taken while the engine is away.
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.Equal(1u, await fixture.Broker.MessageCountAsync(tasker.Options.Messaging.TodoQueue));

        proxy.Start();
        var done = (await tasker.CollectResultsAsync(1, TimeSpan.FromSeconds(60)))[0];

        Assert.Equal(TaskStates.Success, done.State);
        Assert.Equal("after the outage\n", done.ContainerOutput!.Stdout);
        Assert.True(tasker.Health.IsReady);
    }

    [Fact]
    public async Task BrokerRestart_WhileTasksRun_AllTasksCompleteNoneLost()
    {
        await using var broker = await RabbitMqBroker.StartAsync();
        var code = fixture.WriteCode("broker-outage", "import time\ntime.sleep(4)\nprint('survived')\n");
        var data = fixture.WriteData("broker-outage.txt", "x");
        var settings = new Dictionary<string, string?> { [Settings.AmqpUri.Name] = broker.AmqpUri.ToString(), [Settings.Concurrency.Name] = "3" };
        await using var tasker = await InProcessTasker.StartAsync(fixture, settings);
        var ids = Enumerable.Range(1, 5).Select(i => $"broker-{i}").ToArray();
        foreach (var id in ids)
        {
            await tasker.PublishAsync(new StartMessage(id, code, data));
        }

        await tasker.WaitUntilAsync(() => tasker.Health.IsReady, TimeSpan.FromSeconds(10), "ready");
        await Task.Delay(TimeSpan.FromSeconds(1)); // let the first tasks start their containers
        await broker.StopAsync();
        await broker.StartAgainAsync();
        await tasker.WaitUntilAsync(() => tasker.Health.IsUp(HealthState.Broker), TimeSpan.FromSeconds(60), "the broker connection to recover");

        var done = await tasker.CollectUntilAnsweredAsync(ids, TimeSpan.FromSeconds(180));

        // At-least-once: deduplicated by taskId, every task is answered, successfully.
        var byTask = done.GroupBy(d => d.TaskId).ToDictionary(g => g.Key, g => g.First());
        Assert.Equal(ids, byTask.Keys.Order(StringComparer.Ordinal));
        Assert.All(byTask.Values, d => Assert.Equal("survived\n", d.ContainerOutput!.Stdout));
    }

    [Fact]
    public async Task BrokerRestart_WhileIdle_LeavesExactlyOneConsumer()
    {
        await using var node = await RabbitMqBroker.StartAsync();
        var settings = new Dictionary<string, string?> { [Settings.AmqpUri.Name] = node.AmqpUri.ToString() };
        await using var tasker = await InProcessTasker.StartAsync(fixture, settings);
        var todo = tasker.Options.Messaging.TodoQueue;
        Assert.Equal(1u, await ConsumerCountAsync(node, todo));

        await node.StopAsync();
        await node.StartAgainAsync();
        await tasker.WaitUntilAsync(() => tasker.Health.IsReady, TimeSpan.FromSeconds(60), "the tasker to recover and consume again");
        // Several intake decisions (every second) after the recovery: none may add a consumer of its own.
        await Task.Delay(TimeSpan.FromSeconds(4));

        Assert.Equal(1u, await ConsumerCountAsync(node, todo));
        Assert.True(tasker.Health.IsReady);
    }

    private static async Task<uint> ConsumerCountAsync(RabbitMqBroker node, string queue)
    {
        await using var connection = await new RabbitMQ.Client.ConnectionFactory { Uri = node.AmqpUri }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(queue)).ConsumerCount;
    }
}
