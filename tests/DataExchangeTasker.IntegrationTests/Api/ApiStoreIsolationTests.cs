using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DataExchangeTasker.Api.Messaging;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Messaging;
using RabbitMQ.Client;

namespace DataExchangeTasker.IntegrationTests.Api;

/// <summary>
/// Issue 22, defect 2: several stores on one broker. Each store has its own copy of the done messages, an answer for
/// a task a store does not know is logged and counted (never stored client-less), and a task that is never answered
/// stops counting against its client once its time limit and a grace have passed.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ApiStoreIsolationTests(ApiFixture fixture)
{
    private static JsonObject Demo() => new() { ["codePath"] = ApiFixture.DemoCode, ["dataPath"] = ApiFixture.DemoData };

    [Fact]
    public async Task TwoStores_OneBroker_EachStoresOnlyItsOwnAnswers()
    {
        // A SQLite api and a PostgreSQL api publishing to the same queues; the test answers as the worker would.
        var queues = "pair-" + Guid.NewGuid().ToString("N")[..8];
        await using var sqlite = await ApiUnderTest.StartAsync(ApiUnderTest.Settings(fixture, ApiUnderTest.SqlitePath(fixture), queuesOf: queues));
        await using var postgres = await ApiUnderTest.StartAsync(ApiUnderTest.Settings(fixture, await fixture.Postgres.CreateDatabaseAsync("pair"), queuesOf: queues));
        var keyA = await sqlite.CreateClientAsync("lab-a");
        var keyB = await postgres.CreateClientAsync("lab-b");
        var mine = new List<string>();
        var theirs = new List<string>();
        // Grouped, not alternating: consumers sharing one queue take turns, which alternating answers would match.
        for (var i = 0; i < 4; i++)
        {
            mine.Add(await sqlite.SubmitDemoAsync(keyA));
        }

        for (var i = 0; i < 4; i++)
        {
            theirs.Add(await postgres.SubmitDemoAsync(keyB));
        }

        var factory = new ConnectionFactory { Uri = fixture.Tasker.Broker.AmqpUri };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var starts = await TestQueues.CollectAsync(channel, queues + ".todo", 8, TimeSpan.FromSeconds(30));
        foreach (var start in starts)
        {
            var taskId = JsonNode.Parse(start.Body)!["taskId"]!.GetValue<string>();
            var done = new JsonObject { ["taskId"] = taskId, ["state"] = "success", ["durationMs"] = 5, ["finishedAt"] = DateTimeOffset.UtcNow.ToString("O") };
            await channel.BasicPublishAsync(queues + ".done", queues + ".done", true, new BasicProperties { Persistent = true }, Encoding.UTF8.GetBytes(done.ToJsonString()));
        }

        foreach (var id in mine)
        {
            await sqlite.WaitForStateAsync(keyA, id, "success", TimeSpan.FromSeconds(20));
        }

        foreach (var id in theirs)
        {
            await postgres.WaitForStateAsync(keyB, id, "success", TimeSpan.FromSeconds(20));
        }

        // Each store saw the other's four answers: counted, not stored.
        foreach (var api in new[] { sqlite, postgres })
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (await api.MetricAsync("tasker_api_done_unknown_total") < 4)
            {
                Assert.True(DateTime.UtcNow < deadline, "answers for unknown tasks are not counted");
                await Task.Delay(100);
            }

            var all = await api.AdminTasksAsync();
            Assert.Equal(4, all.Count);
            Assert.All(all, t => Assert.NotNull(t["clientId"]));
        }
    }

    [Fact]
    public async Task TwoStores_OneBroker_EachGetsTheProgressOfItsOwnTasks()
    {
        // Before: one shared progress queue; its two consumers took turns, so the second store's api got (and dropped)
        // every other progress message of the first store's tasks.
        var queues = "progress-pair-" + Guid.NewGuid().ToString("N")[..8];
        await using var first = await ApiUnderTest.StartAsync(ApiUnderTest.Settings(fixture, ApiUnderTest.SqlitePath(fixture), queuesOf: queues));
        await using var second = await ApiUnderTest.StartAsync(ApiUnderTest.Settings(fixture, await fixture.Postgres.CreateDatabaseAsync("progress"), queuesOf: queues));
        var key = await first.CreateClientAsync("lab-a");
        var tasks = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            tasks.Add(await first.SubmitDemoAsync(key));
        }

        var factory = new ConnectionFactory { Uri = fixture.Tasker.Broker.AmqpUri };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        foreach (var taskId in tasks)
        {
            await first.WaitForPublishedAsync(key, taskId, TimeSpan.FromSeconds(10));
            var progress = new JsonObject { ["taskId"] = taskId, ["step"] = "ExecutingAlgorithm", ["stepIndex"] = 2, ["at"] = DateTimeOffset.UtcNow.ToString("O") };
            await channel.BasicPublishAsync(ControlExchanges.ProgressExchange, ControlExchanges.ProgressExchange, true, new BasicProperties(), Encoding.UTF8.GetBytes(progress.ToJsonString()));
        }

        foreach (var taskId in tasks)
        {
            var task = await first.WaitForStateAsync(key, taskId, "running", TimeSpan.FromSeconds(10));
            Assert.Equal("ExecutingAlgorithm", task["progressStep"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task SharedProgressQueueOfEarlierVersions_IsUnboundAndDeletedAtStart()
    {
        var factory = new ConnectionFactory { Uri = fixture.Tasker.Broker.AmqpUri };
        await using var connection = await factory.CreateConnectionAsync();
        await using (var channel = await connection.CreateChannelAsync())
        {
            await ControlExchanges.EnsureExchangeAsync(connection, ControlExchanges.ProgressExchange, ExchangeType.Direct, CancellationToken.None);
            await channel.QueueDeclareAsync(ApiTopology.LegacyProgressCopyQueue, durable: true, exclusive: false, autoDelete: false);
            await channel.QueueBindAsync(ApiTopology.LegacyProgressCopyQueue, ControlExchanges.ProgressExchange, ControlExchanges.ProgressExchange);
        }

        await using var api = await ApiUnderTest.StartAsync(ApiUnderTest.Settings(fixture, ApiUnderTest.SqlitePath(fixture)));

        // The retirement runs right after the link is ready: poll until the queue is gone.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            await using var probe = await connection.CreateChannelAsync();
            try
            {
                await probe.QueueDeclarePassiveAsync(ApiTopology.LegacyProgressCopyQueue);
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "the shared progress queue of earlier versions was not deleted");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task UnansweredTask_AfterTimeLimitAndGrace_IsMarkedAndStopsCounting()
    {
        var settings = ApiUnderTest.Settings(fixture, ApiUnderTest.SqlitePath(fixture), queuesOf: "lost-" + Guid.NewGuid().ToString("N")[..8]);
        settings["TASKER_API_TIERS"] = "basic=1000/1";
        settings["TASKER_API_ANSWER_GRACE"] = "1";
        await using var api = await ApiUnderTest.StartAsync(settings);
        var key = await api.CreateClientAsync("forgotten", "basic");
        var body = Demo();
        body["limits"] = new JsonObject { ["timeoutSeconds"] = 1 };
        var (status, submitted, r) = await api.SendAsync(HttpMethod.Post, "/v1/tasks", key, body);
        r.Dispose();
        Assert.Equal(HttpStatusCode.Accepted, status);
        var taskId = submitted!["taskId"]!.GetValue<string>();

        // Nobody runs it: after 1 s (its limit) + 1 s (grace) it is marked, and the client's one slot is free again.
        var task = await api.WaitForStateAsync(key, taskId, "error", TimeSpan.FromSeconds(20));
        Assert.Equal("no_answer", task["reason"]!.GetValue<string>());
        Assert.NotNull(task["finishedAt"]);
        var (next, _, nr) = await api.SendAsync(HttpMethod.Post, "/v1/tasks", key, Demo());
        nr.Dispose();
        Assert.Equal(HttpStatusCode.Accepted, next);
    }

    [Fact]
    public async Task SharedCopyQueueOfEarlierVersions_IsRetired_AnswersLeftInItReachTheirStore()
    {
        var queues = "legacy-" + Guid.NewGuid().ToString("N")[..8];
        var settings = ApiUnderTest.Settings(fixture, ApiUnderTest.SqlitePath(fixture), queuesOf: queues);
        string key, taskId;
        await using (var first = await ApiUnderTest.StartAsync(settings))
        {
            key = await first.CreateClientAsync("upgraded");
            taskId = await first.SubmitDemoAsync(key);
            await first.WaitForPublishedAsync(key, taskId, TimeSpan.FromSeconds(10));
        }

        // The fixed queue earlier versions shared, bound as they bound it, holding this task's answer.
        var factory = new ConnectionFactory { Uri = fixture.Tasker.Broker.AmqpUri };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await channel.QueueDeclareAsync(queues + ".done.api", durable: true, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync(queues + ".done.api", queues + ".done", queues + ".done");
        var done = new JsonObject { ["taskId"] = taskId, ["state"] = "success", ["durationMs"] = 5 };
        await TestQueues.PublishAsync(channel, queues + ".done.api", Encoding.UTF8.GetBytes(done.ToJsonString()));

        await using var second = await ApiUnderTest.StartAsync(settings);
        await second.WaitForStateAsync(key, taskId, "success", TimeSpan.FromSeconds(20));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            await using var probe = await connection.CreateChannelAsync();
            try
            {
                await probe.QueueDeclarePassiveAsync(queues + ".done.api");
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the shared copy queue was not deleted");
            await Task.Delay(100);
        }
    }
}
