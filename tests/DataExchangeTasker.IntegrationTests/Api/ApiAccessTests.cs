using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace DataExchangeTasker.IntegrationTests.Api;

/// <summary>Keys, the admin key, tiers (429), isolation between clients, and bad input.</summary>
[Collection(ApiCollection.Name)]
public sealed class ApiAccessTests(ApiFixture fixture)
{
    private static JsonObject Demo() => new() { ["codePath"] = ApiFixture.DemoCode, ["dataPath"] = ApiFixture.DemoData };

    [Fact]
    public async Task MissingOrWrongKey_Is401_AdminEndpointsNeedTheAdminKey()
    {
        await using var api = await ApiUnderTest.StartAsync(ApiUnderTest.Settings(fixture, ApiUnderTest.SqlitePath(fixture)));
        var (missing, missingBody, r1) = await api.SendAsync(HttpMethod.Post, "/v1/tasks", null, Demo());
        var (wrong, wrongBody, r2) = await api.SendAsync(HttpMethod.Get, "/v1/tasks", "tk_not-a-key");
        Assert.Equal(HttpStatusCode.Unauthorized, missing);
        Assert.Equal("Authorization", missingBody!["field"]!.GetValue<string>());
        Assert.Contains("Bearer", r1.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        Assert.Equal("unknown API key", wrongBody!["error"]!.GetValue<string>());

        var (noAdmin, noAdminBody, r3) = await api.SendAsync(HttpMethod.Get, "/admin/clients", null);
        using var wrongAdmin = new HttpRequestMessage(HttpMethod.Post, "/admin/clients") { Content = ApiUnderTest.Json(new JsonObject { ["clientId"] = "x", ["tier"] = "free" }) };
        wrongAdmin.Headers.Add("X-Admin-Key", "not-the-admin-key-at-all");
        using var wrongAdminResponse = await api.Http.SendAsync(wrongAdmin);
        Assert.Equal(HttpStatusCode.Unauthorized, noAdmin);
        Assert.Equal("X-Admin-Key", noAdminBody!["field"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, wrongAdminResponse.StatusCode);

        // A client key is no admin key, and a disabled client's key stops working.
        var key = await api.CreateClientAsync("soon-disabled", "free");
        using var asClient = new HttpRequestMessage(HttpMethod.Get, "/admin/clients");
        asClient.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
        using var asClientResponse = await api.Http.SendAsync(asClient);
        Assert.Equal(HttpStatusCode.Unauthorized, asClientResponse.StatusCode);
        using var disable = new HttpRequestMessage(HttpMethod.Patch, "/admin/clients/soon-disabled") { Content = ApiUnderTest.Json(new JsonObject { ["enabled"] = false }) };
        disable.Headers.Add("X-Admin-Key", ApiUnderTest.AdminKey);
        using var disabled = await api.Http.SendAsync(disable);
        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        var (afterDisable, _, r4) = await api.SendAsync(HttpMethod.Get, "/v1/tasks", key);
        Assert.Equal(HttpStatusCode.Unauthorized, afterDisable);
        foreach (var r in new[] { r1, r2, r3, r4 })
        {
            r.Dispose();
        }
    }

    [Fact]
    public async Task AdminKeyUnset_AdminEndpointsAre403()
    {
        var settings = ApiUnderTest.Settings(fixture, ApiUnderTest.SqlitePath(fixture));
        settings.Remove("TASKER_ADMIN_KEY");
        await using var api = await ApiUnderTest.StartAsync(settings);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/clients");
        request.Headers.Add("X-Admin-Key", ApiUnderTest.AdminKey);
        using var response = await api.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task OverRequestsPerMinute_Is429WithRetryAfter_OverConcurrency_Is429()
    {
        // free = 3 requests/min, 1 unfinished task; queues nobody consumes keep the first task unfinished.
        var settings = ApiUnderTest.Settings(fixture, ApiUnderTest.SqlitePath(fixture), queuesOf: "quota-" + Guid.NewGuid().ToString("N")[..8]);
        settings["TASKER_API_TIERS"] = "free=3/1,basic=1000/2";
        await using var api = await ApiUnderTest.StartAsync(settings);
        var slow = await api.CreateClientAsync("slow", "free");
        var busy = await api.CreateClientAsync("busy", "basic");

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 5; i++)
        {
            var (status, _, response) = await api.SendAsync(HttpMethod.Get, "/v1/tasks", slow);
            statuses.Add(status);
            if (status == HttpStatusCode.TooManyRequests)
            {
                limited ??= response;
            }
        }

        // Unless the minute turned during the loop, the 4th and 5th are over the limit.
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.Equal(HttpStatusCode.OK, statuses[0]);
        var retryAfter = limited!.Headers.RetryAfter!.Delta!.Value.TotalSeconds;
        Assert.InRange(retryAfter, 1, 60);

        await api.SubmitDemoAsync(busy);
        await api.SubmitDemoAsync(busy);
        var (third, thirdBody, r) = await api.SendAsync(HttpMethod.Post, "/v1/tasks", busy, Demo());
        r.Dispose();
        Assert.Equal(HttpStatusCode.TooManyRequests, third);
        Assert.Contains("concurrency", thirdBody!["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OtherClientsTask_IsNotFound_AndNotListed()
    {
        await using var api = await ApiUnderTest.StartAsync(ApiUnderTest.Settings(fixture, await fixture.Postgres.CreateDatabaseAsync("isolation")));
        var alice = await api.CreateClientAsync("alice");
        var bob = await api.CreateClientAsync("bob");
        var taskId = await api.SubmitDemoAsync(alice);

        var (asBob, bobBody, r1) = await api.SendAsync(HttpMethod.Get, "/v1/tasks/" + taskId, bob);
        var (asAlice, _, r2) = await api.SendAsync(HttpMethod.Get, "/v1/tasks/" + taskId, alice);
        var (list, page, r3) = await api.SendAsync(HttpMethod.Get, "/v1/tasks", bob);
        var (other, _, r4) = await api.SendAsync(HttpMethod.Get, "/v1/tasks?client=alice", bob);
        var (cancel, _, r5) = await api.SendAsync(HttpMethod.Post, $"/v1/tasks/{taskId}/cancel", bob);
        Assert.Equal(HttpStatusCode.NotFound, asBob);
        Assert.Equal("taskId", bobBody!["field"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, asAlice);
        Assert.Equal(HttpStatusCode.OK, list);
        Assert.Empty(page!["tasks"]!.AsArray());
        Assert.Equal(HttpStatusCode.Forbidden, other);
        Assert.Equal(HttpStatusCode.NotFound, cancel);
        foreach (var r in new[] { r1, r2, r3, r4, r5 })
        {
            r.Dispose();
        }

        await api.WaitForStateAsync(alice, taskId, "success", TimeSpan.FromSeconds(90));
    }

    [Fact]
    public async Task BadInput_AnswersJson4xx_ServerKeepsServing()
    {
        await using var api = await ApiUnderTest.StartAsync(ApiUnderTest.Settings(fixture, ApiUnderTest.SqlitePath(fixture), queuesOf: "bad-" + Guid.NewGuid().ToString("N")[..8]));
        var key = await api.CreateClientAsync("fuzzer");
        string[] bodies =
        [
            "", "nope", "[]", "null", "42", "{\"codePath\": 1}", "{\"codePath\": \"a\"}", "{\"codePath\": \"../x\", \"dataPath\": \"d\"}",
            "{\"codePath\": \"a\", \"dataPath\": \"d\", \"limits\": {\"timeoutSeconds\": -1}}", "{\"codePath\": \"a\", \"dataPath\": \"d\", \"delaySeconds\": 1e99}",
            "{\"codePath\": \"a\", \"dataPath\": \"d\", \"taskId\": \"\"}", "{\"codePath\": \"a\", \"dataPath\": \"d\", \"codeHash\": \"abc\"}",
            new string('[', 5000), "{\"codePath\": \"\\ud800\", \"dataPath\": \"d\"}", "\u00ff\u00fe",
        ];
        foreach (var body in bodies)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/tasks") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
            using var response = await api.Http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body[..Math.Min(body.Length, 40)]}: {response.StatusCode} {text}");
            var error = JsonNode.Parse(text)!.AsObject();
            Assert.True(error.ContainsKey("error") && error.ContainsKey("field") && error.ContainsKey("value") && error.ContainsKey("expected"), text);
        }

        using var huge = new HttpRequestMessage(HttpMethod.Post, "/v1/tasks") { Content = new ByteArrayContent(new byte[2 * 1024 * 1024]) };
        huge.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
        // As a well-behaved client of a body limit does: ask first, so the 413 comes back before 2 MiB are pushed into a
        // connection the server closes (without it the client may see its own broken pipe instead of the answer).
        huge.Headers.ExpectContinue = true;
        using var hugeResponse = await api.Http.SendAsync(huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, hugeResponse.StatusCode);
        Assert.NotNull(JsonNode.Parse(await hugeResponse.Content.ReadAsStringAsync())!["error"]);

        var (schedule, scheduleBody, r) = await api.SendAsync(HttpMethod.Post, "/v1/schedules", key,
            new JsonObject { ["codePath"] = "a", ["dataPath"] = "d", ["every"] = "every 2 fortnights" });
        r.Dispose();
        Assert.Equal(HttpStatusCode.BadRequest, schedule);
        Assert.Equal("every", scheduleBody!["field"]!.GetValue<string>());

        using var unknown = await api.Http.GetAsync("/v2/nothing");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.NotNull(JsonNode.Parse(await unknown.Content.ReadAsStringAsync())!["error"]);
        using var ready = await api.Http.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task SameTaskId_TwoClients_EachHasItsOwnTask_NeitherLearnsOfTheOther()
    {
        // Issue 22, defect 3: task ids are per client; a 409 would tell B that A used the id.
        var queues = "ids-" + Guid.NewGuid().ToString("N")[..8];
        await using var api = await ApiUnderTest.StartAsync(ApiUnderTest.Settings(fixture, ApiUnderTest.SqlitePath(fixture), queuesOf: queues));
        var alice = await api.CreateClientAsync("ids-alice");
        var bob = await api.CreateClientAsync("ids-bob");
        var aliceBody = Demo();
        aliceBody["taskId"] = "idem-1";
        var bobBody = Demo();
        bobBody["taskId"] = "idem-1";
        bobBody["dataPath"] = "other_data";

        var (a, aAnswer, r1) = await api.SendAsync(HttpMethod.Post, "/v1/tasks", alice, aliceBody);
        var (b, bAnswer, r2) = await api.SendAsync(HttpMethod.Post, "/v1/tasks", bob, bobBody);
        Assert.Equal(HttpStatusCode.Accepted, a);
        Assert.Equal(HttpStatusCode.Accepted, b);
        Assert.Equal("idem-1", aAnswer!["taskId"]!.GetValue<string>());
        Assert.Equal("idem-1", bAnswer!["taskId"]!.GetValue<string>());

        var (_, asAlice, r3) = await api.SendAsync(HttpMethod.Get, "/v1/tasks/idem-1", alice);
        var (_, asBob, r4) = await api.SendAsync(HttpMethod.Get, "/v1/tasks/idem-1", bob);
        Assert.Equal(ApiFixture.DemoData, asAlice!["dataPath"]!.GetValue<string>());
        Assert.Equal("other_data", asBob!["dataPath"]!.GetValue<string>());

        // Two start messages with distinct taskIds reach the workers (their protocol needs them unique).
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = fixture.Tasker.Broker.AmqpUri };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var starts = await Support.TestQueues.CollectAsync(channel, queues + ".todo", 2, TimeSpan.FromSeconds(30));
        var brokerIds = starts.Select(m => JsonNode.Parse(m.Body)!["taskId"]!.GetValue<string>()).ToList();
        Assert.Equal(2, brokerIds.Distinct().Count());
        foreach (var r in new[] { r1, r2, r3, r4 })
        {
            r.Dispose();
        }
    }
}
