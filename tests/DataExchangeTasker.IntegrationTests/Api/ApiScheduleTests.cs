using System.Net;
using System.Text.Json.Nodes;
using DataExchangeTasker.IntegrationTests.Support;
using RabbitMQ.Client;

namespace DataExchangeTasker.IntegrationTests.Api;

/// <summary>Schedules: periods, the latest run, and once-per-period firing across api processes.</summary>
[Collection(ApiScheduleCollection.Name)]
public sealed class ApiScheduleTests(ApiFixture fixture)
{
    [Fact]
    public async Task EveryTwoSeconds_YieldsThreeRuns_LatestReturnsTheNewest()
    {
        await using var api = await ApiUnderTest.StartAsync(ApiUnderTest.Settings(fixture, await fixture.Postgres.CreateDatabaseAsync("every")));
        var key = await api.CreateClientAsync("cron-user");
        var (status, created, r) = await api.SendAsync(HttpMethod.Post, "/v1/schedules", key,
            new JsonObject { ["codePath"] = ApiFixture.DemoCode, ["dataPath"] = ApiFixture.DemoData, ["every"] = "every 2 seconds" });
        r.Dispose();
        Assert.Equal(HttpStatusCode.Created, status);
        var scheduleId = created!["scheduleId"]!.GetValue<string>();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        JsonArray finished = [];
        while (finished.Count < 3)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {finished.Count} finished runs of {scheduleId}");
            await Task.Delay(250);
            var (_, page, lr) = await api.SendAsync(HttpMethod.Get, "/v1/tasks?state=success&limit=100", key);
            lr.Dispose();
            finished = new JsonArray(page!["tasks"]!.AsArray().Where(t => t!["scheduleId"]?.GetValue<string>() == scheduleId).Select(t => t!.DeepClone()).ToArray());
        }

        var (deleted, _, dr) = await api.SendAsync(HttpMethod.Delete, "/v1/schedules/" + scheduleId, key);
        dr.Dispose();
        Assert.Equal(HttpStatusCode.NoContent, deleted);
        // Runs still in flight when it was deleted may finish after: wait for the newest fired one.
        var (_, all, ar) = await api.SendAsync(HttpMethod.Get, "/v1/tasks?limit=100", key);
        ar.Dispose();
        var newest = all!["tasks"]!.AsArray().Where(t => t!["scheduleId"]?.GetValue<string>() == scheduleId).Select(t => t!["taskId"]!.GetValue<string>()).First();
        await api.WaitForStateAsync(key, newest, "success", TimeSpan.FromSeconds(60));

        var (latestStatus, latest, lt) = await api.SendAsync(HttpMethod.Get, $"/v1/schedules/{scheduleId}/latest", key);
        lt.Dispose();
        Assert.Equal(HttpStatusCode.OK, latestStatus);
        Assert.Equal(newest, latest!["taskId"]!.GetValue<string>());
        Assert.Equal("success", latest["state"]!.GetValue<string>());
        // Periods are 2 s apart: the task ids carry the period start.
        var periods = all["tasks"]!.AsArray().Where(t => t!["scheduleId"]?.GetValue<string>() == scheduleId)
            .Select(t => long.Parse(t!["taskId"]!.GetValue<string>().Split('-')[^1], System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
        Assert.True(periods.Count >= 3);
        Assert.All(periods.Zip(periods.Skip(1)), p => Assert.Equal(0, (p.Second - p.First) % 2000));
    }

    [Fact]
    public async Task TwoApiProcesses_OnOnePostgres_FireEachPeriodOnce()
    {
        // No worker on these queues: every start message a firing publishes stays on the todo queue to be counted.
        var queues = "twin-" + Guid.NewGuid().ToString("N")[..8];
        var settings = ApiUnderTest.Settings(fixture, await fixture.Postgres.CreateDatabaseAsync("twin"), queuesOf: queues);
        settings["TASKER_API_ID"] = "twin-a";
        var a = ApiUnderTest.StartProcessAsync(settings);
        var settingsB = new Dictionary<string, string?>(settings) { ["TASKER_API_ID"] = "twin-b" };
        var b = ApiUnderTest.StartProcessAsync(settingsB);
        await using var apiA = await a;
        await using var apiB = await b;
        var key = await apiA.CreateClientAsync("twins");

        var (status, created, r) = await apiB.SendAsync(HttpMethod.Post, "/v1/schedules", key,
            new JsonObject { ["codePath"] = ApiFixture.DemoCode, ["dataPath"] = ApiFixture.DemoData, ["every"] = "every 1 second" });
        r.Dispose();
        Assert.Equal(HttpStatusCode.Created, status);
        var scheduleId = created!["scheduleId"]!.GetValue<string>();
        await Task.Delay(TimeSpan.FromSeconds(8));
        await apiA.SendAsync(HttpMethod.Delete, "/v1/schedules/" + scheduleId, key);

        // Each process counts the periods it fired; together they match the start messages, one per period, none twice.
        var firedA = await FiringsAsync(apiA);
        var firedB = await FiringsAsync(apiB);
        var factory = new ConnectionFactory { Uri = fixture.Tasker.Broker.AmqpUri };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var ids = new List<string>();
        while (await TestQueues.GetWithDeadlineAsync(channel, queues + ".todo", TimeSpan.FromSeconds(2), CancellationToken.None) is { } message)
        {
            ids.Add(JsonNode.Parse(message.Body.Span)!["taskId"]!.GetValue<string>());
        }

        Assert.InRange(ids.Count, 6, 10);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(ids.Count, firedA + firedB);
        var periods = ids.Select(id => long.Parse(id.Split('-')[^1], System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
        Assert.All(periods.Zip(periods.Skip(1)), p => Assert.Equal(1000, p.Second - p.First));
    }

    [Fact]
    public async Task ListSchedules_ShowsTheClientsOwnOnly_DeletedOnRequest()
    {
        await using var api = await ApiUnderTest.StartAsync(ApiUnderTest.Settings(fixture, ApiUnderTest.SqlitePath(fixture), queuesOf: "list-" + Guid.NewGuid().ToString("N")[..8]));
        var alice = await api.CreateClientAsync("list-alice");
        var bob = await api.CreateClientAsync("list-bob");
        var hourly = new JsonObject { ["codePath"] = ApiFixture.DemoCode, ["dataPath"] = ApiFixture.DemoData, ["cron"] = "0 * * * *" };
        var ids = new List<string>();
        foreach (var key in new[] { alice, alice, bob })
        {
            var (_, created, r) = await api.SendAsync(HttpMethod.Post, "/v1/schedules", key, hourly.DeepClone());
            r.Dispose();
            ids.Add(created!["scheduleId"]!.GetValue<string>());
        }

        var (deleted, _, dr) = await api.SendAsync(HttpMethod.Delete, "/v1/schedules/" + ids[0], alice);
        dr.Dispose();
        Assert.Equal(HttpStatusCode.NoContent, deleted);

        var (status, page, lr) = await api.SendAsync(HttpMethod.Get, "/v1/schedules", alice);
        var (_, withDeleted, wr) = await api.SendAsync(HttpMethod.Get, "/v1/schedules?deleted=true", alice);
        var (other, _, or) = await api.SendAsync(HttpMethod.Get, "/v1/schedules?client=list-bob", alice);
        foreach (var r in new[] { lr, wr, or })
        {
            r.Dispose();
        }

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([ids[1]], page!["schedules"]!.AsArray().Select(s => s!["scheduleId"]!.GetValue<string>()));
        Assert.Equal(0, page["schedules"]![0]!["skippedCount"]!.GetValue<long>());
        Assert.Equal(new[] { ids[0], ids[1] }.Order(), withDeleted!["schedules"]!.AsArray().Select(s => s!["scheduleId"]!.GetValue<string>()).Order());
        Assert.Equal(HttpStatusCode.Forbidden, other);
        var (_, all) = await api.AdminSendAsync(HttpMethod.Get, "/v1/schedules");
        Assert.Equal(2, all!["schedules"]!.AsArray().Count);
    }

    private static async Task<long> FiringsAsync(ApiUnderTest api)
    {
        var text = await api.Http.GetStringAsync("/metrics");
        var line = text.Split('\n').Single(l => l.StartsWith("tasker_api_schedule_firings_total ", StringComparison.Ordinal));
        return long.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
