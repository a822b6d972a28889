using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DataExchangeTasker.Api.Messaging;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Messaging;
using RabbitMQ.Client;

namespace DataExchangeTasker.IntegrationTests.Api;

/// <summary>Submitting through <c>tasker api</c> to a real worker, broker and engine, on SQLite and PostgreSQL.</summary>
[Collection(ApiCollection.Name)]
public sealed class ApiTaskTests(ApiFixture fixture)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Submit_ThenPollStatus_ReturnsSuccessWithDoneMessage(string store)
    {
        var database = store == "sqlite" ? ApiUnderTest.SqlitePath(fixture) : await fixture.Postgres.CreateDatabaseAsync("submit");
        await using var api = await ApiUnderTest.StartAsync(ApiUnderTest.Settings(fixture, database));
        var key = await api.CreateClientAsync("alice");

        var taskId = await api.SubmitDemoAsync(key);
        var (status, queued, r) = await api.SendAsync(HttpMethod.Get, "/v1/tasks/" + taskId, key);
        r.Dispose();
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(queued!["state"]!.GetValue<string>() is "queued" or "running" or "success", queued["state"]!.GetValue<string>());

        var task = await api.WaitForStateAsync(key, taskId, "success", RunTimeout);
        Assert.Equal("alice", task["clientId"]!.GetValue<string>());
        Assert.Equal(taskId, task["done"]!["taskId"]!.GetValue<string>());
        Assert.Contains("Average fortune", task["done"]!["containerOutput"]!["stdout"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(task["finishedAt"]);

        var (listStatus, page, lr) = await api.SendAsync(HttpMethod.Get, "/v1/tasks?state=success&limit=10", key);
        lr.Dispose();
        Assert.Equal(HttpStatusCode.OK, listStatus);
        Assert.Contains(page!["tasks"]!.AsArray(), t => t!["taskId"]!.GetValue<string>() == taskId);
    }

    [Fact]
    public async Task GetTask_WithFields_LeavesOutTheDoneMessage_SummaryAndTraceLinkInstead()
    {
        await using var api = await ApiUnderTest.StartAsync(ApiUnderTest.Settings(fixture, ApiUnderTest.SqlitePath(fixture)));
        var key = await api.CreateClientAsync("poller");
        var taskId = await api.SubmitDemoAsync(key);
        var whole = await api.WaitForStateAsync(key, taskId, "success", RunTimeout);
        Assert.NotNull(whole["done"]!["containerOutput"]!["strace"]);
        Assert.Equal(1, whole["doneCount"]!.GetValue<long>());

        var (status, light, r) = await api.SendAsync(HttpMethod.Get, $"/v1/tasks/{taskId}?fields=state,summary,links", key);
        r.Dispose();
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["taskId", "state", "summary", "links"], light!.AsObject().Select(p => p.Key).ToArray());
        Assert.Equal(0, light["summary"]!["exitCode"]!.GetValue<int>());
        Assert.Contains("Average fortune", light["summary"]!["stdoutHead"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(light["summary"]!["traceSummary"]);
        Assert.True(light.ToJsonString().Length < whole.ToJsonString().Length / 2, "the light answer is not much smaller than the whole one");

        using var trace = await api.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, light["links"]!["trace"]!.GetValue<string>())
        {
            Headers = { { "Authorization", "Bearer " + key } },
        });
        Assert.Equal(HttpStatusCode.OK, trace.StatusCode);
        Assert.StartsWith("text/plain", trace.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        Assert.Equal(whole["done"]!["containerOutput"]!["strace"]!.GetValue<string>(), await trace.Content.ReadAsStringAsync());

        var (bad, error, br) = await api.SendAsync(HttpMethod.Get, $"/v1/tasks/{taskId}?fields=state,secrets", key);
        br.Dispose();
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.Equal("fields", error!["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task Submit_SameTaskIdAgain_SameAnswerForSameBodyAnd409ForDifferentBody()
    {
        await using var api = await ApiUnderTest.StartAsync(ApiUnderTest.Settings(fixture, ApiUnderTest.SqlitePath(fixture)));
        var key = await api.CreateClientAsync("idem");
        var taskId = "idem-" + Guid.NewGuid().ToString("N")[..8];
        var body = new JsonObject { ["taskId"] = taskId, ["codePath"] = ApiFixture.DemoCode, ["dataPath"] = ApiFixture.DemoData };

        var first = await api.SendAsync(HttpMethod.Post, "/v1/tasks", key, body.DeepClone());
        var again = await api.SendAsync(HttpMethod.Post, "/v1/tasks", key, body.DeepClone());
        body["dataPath"] = "other_data";
        var different = await api.SendAsync(HttpMethod.Post, "/v1/tasks", key, body);

        Assert.Equal(HttpStatusCode.Accepted, first.Status);
        Assert.Equal(HttpStatusCode.Accepted, again.Status);
        Assert.Equal(first.Body!.ToJsonString(), again.Body!.ToJsonString());
        Assert.Equal(HttpStatusCode.Conflict, different.Status);
        Assert.Equal("taskId", different.Body!["field"]!.GetValue<string>());
        await api.WaitForStateAsync(key, taskId, "success", RunTimeout);
        // Ran once: one done message stored.
        var stored = await api.Host.Services.Store.GetClientTaskAsync("idem", taskId, withDone: false, CancellationToken.None);
        Assert.Equal(1, stored!.DoneCount);
        var (_, polled, pr) = await api.SendAsync(HttpMethod.Get, "/v1/tasks/" + taskId, key);
        pr.Dispose();
        Assert.Equal(1, polled!["doneCount"]!.GetValue<long>());
        Assert.Equal("idem:" + taskId, polled["startTaskId"]!.GetValue<string>());
    }

    [Fact]
    public async Task DelayedTask_ApiKilledBeforeItIsDue_IsPublishedAfterRestartAndSucceeds()
    {
        var settings = ApiUnderTest.Settings(fixture, ApiUnderTest.SqlitePath(fixture));
        string key, taskId;
        await using (var first = await ApiUnderTest.StartProcessAsync(settings))
        {
            key = await first.CreateClientAsync("delayed");
            taskId = await first.SubmitDemoAsync(key, delaySeconds: 3);
            var (_, scheduled, r) = await first.SendAsync(HttpMethod.Get, "/v1/tasks/" + taskId, key);
            r.Dispose();
            Assert.Equal("scheduled", scheduled!["state"]!.GetValue<string>());
            await first.Process.SignalAsync("KILL");
            await first.Process.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        await using var second = await ApiUnderTest.StartProcessAsync(settings);
        var task = await second.WaitForStateAsync(key, taskId, "success", RunTimeout);
        Assert.True(task["publishedAt"]!.GetValue<DateTimeOffset>() >= task["dueAt"]!.GetValue<DateTimeOffset>());
    }

    [Fact]
    public async Task Cancel_QueuedTaskPublishesToControlExchange_DelayedTaskEndsCancelled()
    {
        // Queues nobody consumes: the task stays queued, so the cancel is the one for a not-yet-finished task.
        var settings = ApiUnderTest.Settings(fixture, ApiUnderTest.SqlitePath(fixture), queuesOf: "cancel-" + Guid.NewGuid().ToString("N")[..8]);
        await using var api = await ApiUnderTest.StartAsync(settings);
        var key = await api.CreateClientAsync("canceller");
        var factory = new ConnectionFactory { Uri = fixture.Tasker.Broker.AmqpUri };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var watch = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(watch, ControlExchanges.ControlExchange, "");

        var queued = await api.SubmitDemoAsync(key);
        // Published first (the outbox publishes right after the submit): a task still in the store is cancelled there.
        await api.WaitForPublishedAsync(key, queued, TimeSpan.FromSeconds(10));
        var (status, answer, r1) = await api.SendAsync(HttpMethod.Post, $"/v1/tasks/{queued}/cancel", key);
        r1.Dispose();
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("requested", answer!["cancel"]!.GetValue<string>());
        var message = await TestQueues.GetWithDeadlineAsync(channel, watch, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.NotNull(message);
        Assert.Equal(queued, JsonNode.Parse(Encoding.UTF8.GetString(message!.Body.Span))!["cancel"]!.GetValue<string>());

        var delayed = await api.SubmitDemoAsync(key, delaySeconds: 600);
        var (_, cancelled, r2) = await api.SendAsync(HttpMethod.Post, $"/v1/tasks/{delayed}/cancel", key);
        r2.Dispose();
        Assert.Equal("cancelled", cancelled!["cancel"]!.GetValue<string>());
        var (_, task, r3) = await api.SendAsync(HttpMethod.Get, "/v1/tasks/" + delayed, key);
        r3.Dispose();
        Assert.Equal("error", task!["state"]!.GetValue<string>());
        Assert.Equal("cancelled", task["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task ProgressMessage_ForQueuedTask_ShowsRunningWithStep()
    {
        var settings = ApiUnderTest.Settings(fixture, ApiUnderTest.SqlitePath(fixture), queuesOf: "progress-" + Guid.NewGuid().ToString("N")[..8]);
        await using var api = await ApiUnderTest.StartAsync(settings);
        var key = await api.CreateClientAsync("watcher");
        var taskId = await api.SubmitDemoAsync(key);

        var factory = new ConnectionFactory { Uri = fixture.Tasker.Broker.AmqpUri };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var progress = new JsonObject { ["taskId"] = taskId, ["step"] = "ExecutingAlgorithm", ["stepIndex"] = 2, ["at"] = DateTimeOffset.UtcNow.ToString("O") };
        await channel.BasicPublishAsync(ControlExchanges.ProgressExchange, ControlExchanges.ProgressExchange, Encoding.UTF8.GetBytes(progress.ToJsonString()));

        var task = await api.WaitForStateAsync(key, taskId, "running", TimeSpan.FromSeconds(10));
        Assert.Equal("ExecutingAlgorithm", task["progressStep"]!.GetValue<string>());
    }
}
