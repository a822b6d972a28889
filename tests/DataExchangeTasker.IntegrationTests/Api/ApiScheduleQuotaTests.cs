using System.Net;
using System.Text.Json.Nodes;

namespace DataExchangeTasker.IntegrationTests.Api;

/// <summary>
/// Issue 22, defect 1: a schedule's runs count against its client's tier like its own requests do (rate and
/// concurrency); a run over a limit is skipped and recorded as skipped; schedules per client are capped.
/// </summary>
[Collection(ApiScheduleCollection.Name)]
public sealed class ApiScheduleQuotaTests(ApiFixture fixture)
{
    private static JsonObject EverySecond() =>
        new() { ["codePath"] = ApiFixture.DemoCode, ["dataPath"] = ApiFixture.DemoData, ["every"] = "every 1 second" };

    /// <summary>Queues nobody consumes: every run that is published stays unfinished.</summary>
    private Dictionary<string, string?> IdleSettings(string tiers)
    {
        var settings = ApiUnderTest.Settings(fixture, ApiUnderTest.SqlitePath(fixture), queuesOf: "sq-" + Guid.NewGuid().ToString("N")[..8]);
        settings["TASKER_API_TIERS"] = tiers;
        return settings;
    }

    private static async Task<IReadOnlyList<JsonNode>> RunsAsync(ApiUnderTest api, string clientId, string scheduleId, int atLeast)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(40);
        while (true)
        {
            var runs = (await api.AdminTasksAsync(clientId)).Where(t => t["scheduleId"]?.GetValue<string>() == scheduleId).ToList();
            if (runs.Count >= atLeast)
            {
                return runs;
            }

            Assert.True(DateTime.UtcNow < deadline, $"only {runs.Count} runs of {scheduleId}");
            await Task.Delay(200);
        }
    }

    private static string State(JsonNode task) => task["state"]!.GetValue<string>();

    [Fact]
    public async Task EveryOneSecond_OneConcurrentTask_RunsOverTheLimitAreSkipped()
    {
        await using var api = await ApiUnderTest.StartAsync(IdleSettings("free=1000/1"));
        var key = await api.CreateClientAsync("sched-busy", "free");
        var (status, created, r) = await api.SendAsync(HttpMethod.Post, "/v1/schedules", key, EverySecond());
        r.Dispose();
        Assert.Equal(HttpStatusCode.Created, status);

        var runs = await RunsAsync(api, "sched-busy", created!["scheduleId"]!.GetValue<string>(), atLeast: 5);
        var unfinished = runs.Count(t => State(t) is "scheduled" or "queued" or "running");
        var skipped = runs.Where(t => State(t) == "skipped").ToList();
        Assert.True(unfinished <= 1, $"{unfinished} unfinished runs with 1 concurrent task allowed: {string.Join(", ", runs.Select(State))}");
        Assert.True(skipped.Count >= runs.Count - 1, string.Join(", ", runs.Select(State)));
        Assert.All(skipped, t => Assert.Equal("concurrency_limit", t["reason"]!.GetValue<string>()));

        // The client's own submit is refused as before: the one run in flight is its one task.
        var (submit, _, sr) = await api.SendAsync(HttpMethod.Post, "/v1/tasks", key, new JsonObject { ["codePath"] = ApiFixture.DemoCode, ["dataPath"] = ApiFixture.DemoData });
        sr.Dispose();
        Assert.Equal(HttpStatusCode.TooManyRequests, submit);
    }

    [Fact]
    public async Task EveryOneSecond_ThreeRequestsPerMinute_RunsOverTheRateAreSkipped()
    {
        await using var api = await ApiUnderTest.StartAsync(IdleSettings("free=3/1000"));
        var key = await api.CreateClientAsync("sched-chatty", "free");
        var (status, created, r) = await api.SendAsync(HttpMethod.Post, "/v1/schedules", key, EverySecond());
        r.Dispose();
        Assert.Equal(HttpStatusCode.Created, status);

        var runs = await RunsAsync(api, "sched-chatty", created!["scheduleId"]!.GetValue<string>(), atLeast: 8);
        var ran = runs.Count(t => State(t) != "skipped");
        // 3 per calendar minute, the create request included; a minute boundary in between allows 3 more.
        Assert.True(ran <= 5, $"{ran} of {runs.Count} runs published at 3 requests per minute: {string.Join(", ", runs.Select(State))}");
        Assert.Contains(runs, t => State(t) == "skipped" && t["reason"]!.GetValue<string>() == "rate_limit");
    }

    [Fact]
    public async Task CreateSchedule_OverThePerClientCap_Is409_DeletingOneMakesRoom()
    {
        var settings = IdleSettings("free=1000/1");
        settings["TASKER_API_MAX_SCHEDULES"] = "2";
        await using var api = await ApiUnderTest.StartAsync(settings);
        var key = await api.CreateClientAsync("sched-many", "free");
        var hourly = new JsonObject { ["codePath"] = ApiFixture.DemoCode, ["dataPath"] = ApiFixture.DemoData, ["cron"] = "0 * * * *" };
        var ids = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var (ok, body, r) = await api.SendAsync(HttpMethod.Post, "/v1/schedules", key, hourly.DeepClone());
            r.Dispose();
            Assert.Equal(HttpStatusCode.Created, ok);
            ids.Add(body!["scheduleId"]!.GetValue<string>());
        }

        var (third, error, r3) = await api.SendAsync(HttpMethod.Post, "/v1/schedules", key, hourly.DeepClone());
        r3.Dispose();
        Assert.Equal(HttpStatusCode.Conflict, third);
        Assert.Contains("2 schedules", error!["error"]!.GetValue<string>(), StringComparison.Ordinal);

        var (deleted, _, dr) = await api.SendAsync(HttpMethod.Delete, "/v1/schedules/" + ids[0], key);
        dr.Dispose();
        Assert.Equal(HttpStatusCode.NoContent, deleted);
        var (again, _, ar) = await api.SendAsync(HttpMethod.Post, "/v1/schedules", key, hourly.DeepClone());
        ar.Dispose();
        Assert.Equal(HttpStatusCode.Created, again);
    }
}
