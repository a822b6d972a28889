using DataExchangeTasker.Configuration;
using DataExchangeTasker.Health;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.IntegrationTests.Messaging;

/// <summary>The broker and the engine go away and come back while the tasker runs.</summary>
[Collection(OutageCollection.Name)]
public sealed class OutageTests(TaskerFixture fixture)
{
    [Fact]
    public async Task EngineUnavailable_MessagesStayQueuedAndTaskerResumesByItself()
    {
        var code = fixture.WriteCode("engine-outage", "print('after the outage')\n");
        var data = fixture.WriteData("engine-outage.txt", "x");
        await using var proxy = new SocketProxy(Path.Combine(fixture.Root, $"docker-{Guid.NewGuid():N}.sock"), "/var/run/docker.sock");
        proxy.Start();
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?> { [Settings.DockerHost.Name] = "unix://" + proxy.Path }, TestTimings.FastDecisions);

        await proxy.StopAsync();
        await tasker.WaitUntilAsync(() => !tasker.Health.IsUp(HealthState.Engine) && !tasker.Health.IsReady, TimeSpan.FromSeconds(30), "the tasker to notice the engine is gone");
        await tasker.WaitUntilAsync(() => !tasker.Health.IsUp(HealthState.Consumer), TimeSpan.FromSeconds(30), "intake to pause");
        await tasker.PublishAsync(new StartMessage("outage-1", code, data));
        // Polled twice across several engine checks and intake decisions: the message is not taken while the engine is away.
        await Task.Delay(SeveralDecisions);
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
        // The restart must find tasks running: waited for, not guessed with a sleep (a slow engine made that a race).
        await tasker.WaitUntilAsync(async () => (await tasker.ContainersAsync(fixture)).Any(c => c.State == "running"), TimeSpan.FromSeconds(60), "a task's container to run");
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
        await using var tasker = await InProcessTasker.StartAsync(fixture, settings, TestTimings.FastDecisions);
        var todo = tasker.Options.Messaging.TodoQueue;
        Assert.Equal(1u, await ConsumerCountAsync(node, todo));

        await node.StopAsync();
        await node.StartAgainAsync();
        await tasker.WaitUntilAsync(() => tasker.Health.IsReady, TimeSpan.FromSeconds(60), "the tasker to recover and consume again");
        // Several intake decisions after the recovery: none may add a consumer of its own.
        await Task.Delay(SeveralDecisions);

        Assert.Equal(1u, await ConsumerCountAsync(node, todo));
        Assert.True(tasker.Health.IsReady);
    }

    [Fact]
    public async Task BrokerStopAppStartApp_WhileIdle_ExactlyOneConsumerAndPauseResumeStillWork()
    {
        await using var node = await RabbitMqBroker.StartAsync();
        var code = fixture.WriteCode("stop-app", "print('after stop_app')\n");
        var data = fixture.WriteData("stop-app.txt", "x");
        await using var proxy = new SocketProxy(Path.Combine(fixture.Root, $"docker-{Guid.NewGuid():N}.sock"), "/var/run/docker.sock");
        proxy.Start();
        var settings = new Dictionary<string, string?> { [Settings.AmqpUri.Name] = node.AmqpUri.ToString(), [Settings.DockerHost.Name] = "unix://" + proxy.Path };
        await using var tasker = await InProcessTasker.StartAsync(fixture, settings, TestTimings.FastDecisions);
        var todo = tasker.Options.Messaging.TodoQueue;
        Assert.Equal([2], await node.ConsumerPrefetchesAsync(todo));

        await node.RabbitmqctlAsync(["stop_app"]);
        await tasker.WaitUntilAsync(() => !tasker.Health.IsReady, TimeSpan.FromSeconds(30), "the tasker to notice the broker is gone");
        await node.RabbitmqctlAsync(["start_app"]);
        await tasker.WaitUntilAsync(() => tasker.Health.IsReady, TimeSpan.FromSeconds(60), "the tasker to recover and consume again");
        // Several intake decisions after the recovery: none may add a consumer of its own.
        await Task.Delay(SeveralDecisions);
        Assert.Equal([2], await node.ConsumerPrefetchesAsync(todo));

        await proxy.StopAsync();
        await tasker.WaitUntilAsync(async () => (await node.QueueCountsAsync(todo)).Consumers == 0, TimeSpan.FromSeconds(30), "intake to pause");
        proxy.Start();
        await tasker.WaitUntilAsync(() => tasker.Health.IsReady, TimeSpan.FromSeconds(30), "intake to resume");
        var done = await tasker.RunAsync(new StartMessage("stop-app-1", code, data));

        Assert.Equal("after stop_app\n", done.ContainerOutput!.Stdout);
        Assert.Equal([2], await node.ConsumerPrefetchesAsync(todo));
    }

    [Fact]
    public async Task EngineSocketGone_MessagePublishedASecondLater_WaitsAndRunsOnceEngineIsBack()
    {
        var code = fixture.WriteCode("engine-gone", "print('ran after all')\n");
        var data = fixture.WriteData("engine-gone.txt", "x");
        await using var proxy = new SocketProxy(Path.Combine(fixture.Root, $"docker-{Guid.NewGuid():N}.sock"), "/var/run/docker.sock");
        proxy.Start();
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?> { [Settings.DockerHost.Name] = "unix://" + proxy.Path });
        var todo = tasker.Options.Messaging.TodoQueue;

        await proxy.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(1)); // the scenario: published before the tasker's next engine check
        await tasker.PublishAsync(new StartMessage("engine-gone-1", code, data));

        await tasker.WaitUntilAsync(async () => await fixture.Broker.QueueCountsAsync(todo) is { Ready: 1, Unacknowledged: 0, Consumers: 0 },
            TimeSpan.FromSeconds(30), "the message to be back in the queue with intake paused");
        Assert.Equal(0u, await fixture.Broker.MessageCountAsync(tasker.Options.Messaging.DoneQueue));
        Assert.Contains("tasker_engine_outages_total 1", tasker.MetricsText(), StringComparison.Ordinal);
        proxy.Start();
        var done = (await tasker.CollectResultsAsync(1, TimeSpan.FromSeconds(60)))[0];

        Assert.Equal(TaskStates.Success, done.State);
        Assert.Equal("ran after all\n", done.ContainerOutput!.Stdout);
    }

    [Fact]
    public async Task EngineHangs_MessagePublishedASecondLater_ReadyTurns503AndTaskWaitsForTheEngine()
    {
        var port = FreePort();
        var code = fixture.WriteCode("engine-hung", "print('ran after the hang')\n");
        var data = fixture.WriteData("engine-hung.txt", "x");
        var socket = Path.Combine(fixture.Root, $"docker-{Guid.NewGuid():N}.sock");
        await using var proxy = new SocketProxy(socket, "/var/run/docker.sock");
        proxy.Start();
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?>
        {
            [Settings.DockerHost.Name] = "unix://" + socket,
            [Settings.HttpBind.Name] = $"127.0.0.1:{port}",
        }, TestTimings.ShortEngineDeadline);
        var todo = tasker.Options.Messaging.TodoQueue;

        await proxy.StopAsync();
        var hangStarted = DateTime.UtcNow;
        await using (var hung = new UnansweringSocket(socket))
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            await tasker.PublishAsync(new StartMessage("engine-hung-1", code, data));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            await tasker.WaitUntilAsync(async () => (await http.GetAsync($"http://127.0.0.1:{port}/health/ready")).StatusCode == System.Net.HttpStatusCode.ServiceUnavailable,
                TimeSpan.FromSeconds(30), "/health/ready to answer 503");
            Assert.True(DateTime.UtcNow - hangStarted < TimeSpan.FromSeconds(30));
            await tasker.WaitUntilAsync(async () => await fixture.Broker.QueueCountsAsync(todo) is { Ready: 1, Unacknowledged: 0, Consumers: 0 },
                TimeSpan.FromSeconds(90), "the message to be back in the queue with intake paused");
            Assert.Equal(0u, await fixture.Broker.MessageCountAsync(tasker.Options.Messaging.DoneQueue));
        }

        proxy.Start();
        var done = (await tasker.CollectResultsAsync(1, TimeSpan.FromSeconds(90)))[0];

        Assert.Equal(TaskStates.Success, done.State);
        Assert.Equal("ran after the hang\n", done.ContainerOutput!.Stdout);
    }

    [Fact]
    public async Task IntakeRpc_BrokerFrozenPastTheRpcTimeout_IntakeStillPausesAndResumes()
    {
        await using var node = await RabbitMqBroker.StartAsync();
        var code = fixture.WriteCode("rpc-timeout", "print('after the rpc timeout')\n");
        var data = fixture.WriteData("rpc-timeout.txt", "x");
        await using var proxy = new SocketProxy(Path.Combine(fixture.Root, $"docker-{Guid.NewGuid():N}.sock"), "/var/run/docker.sock");
        proxy.Start();
        var settings = new Dictionary<string, string?> { [Settings.AmqpUri.Name] = node.AmqpUri.ToString(), [Settings.DockerHost.Name] = "unix://" + proxy.Path };
        var timings = TestTimings.ShortBrokerRpc;
        await using var tasker = await InProcessTasker.StartAsync(fixture, settings, timings);
        var todo = tasker.Options.Messaging.TodoQueue;

        // Frozen broker: the intake owner's basic.cancel (engine gone) waits for an answer past the client's RPC timeout.
        await node.PauseAsync();
        await proxy.StopAsync();
        await tasker.WaitUntilAsync(() => !tasker.Health.IsUp(HealthState.Engine), TimeSpan.FromSeconds(30), "the engine to be reported down");
        // The scenario, not a synchronisation: the broker stays frozen for twice the RPC timeout (production: 20 s).
        await Task.Delay(timings.Broker.RpcTimeout * 2);
        await node.UnpauseAsync();
        await tasker.WaitUntilAsync(async () => (await node.QueueCountsAsync(todo)).Consumers == 0, TimeSpan.FromSeconds(60), "intake to pause after the timeout");
        proxy.Start();
        await tasker.WaitUntilAsync(() => tasker.Health.IsReady, TimeSpan.FromSeconds(60), "intake to resume");
        var done = await tasker.RunAsync(new StartMessage("rpc-timeout-1", code, data));

        Assert.Equal("after the rpc timeout\n", done.ContainerOutput!.Stdout);
        Assert.Equal([2], await node.ConsumerPrefetchesAsync(todo));
    }

    /// <summary>Eight intake decisions and four engine checks of a tasker started with <see cref="TestTimings.FastDecisions"/>.</summary>
    private static TimeSpan SeveralDecisions => TestTimings.FastDecisions.IntakeInterval * 8;

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<uint> ConsumerCountAsync(RabbitMqBroker node, string queue)
    {
        await using var connection = await new RabbitMQ.Client.ConnectionFactory { Uri = node.AmqpUri }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(queue)).ConsumerCount;
    }
}
