using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using DataExchangeTasker.IntegrationTests.Api;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.IntegrationTests.Cli;

/// <summary>
/// The published, ahead-of-time compiled <c>tasker</c> (<see cref="ShippedBinary"/>) doing what a node and an api do:
/// every other test runs this build's IL under the JIT, which cannot show what the native compiler trimmed away.
/// </summary>
[Collection(OperatorCommandCollection.Name)]
public sealed class ShippedBinaryTests(TaskerFixture fixture, ShippedBinary shipped)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    private static readonly Dictionary<string, string?> NoSettings = [];

    [Fact]
    public async Task Run_ShippedBinary_AnswersATaskWithItsTraceAndAReceiptItsVerifyAccepts()
    {
        var tasker = await shipped.GetPathAsync();
        var key = Path.Combine(fixture.Root, $"shipped-{Guid.NewGuid():N}.key");
        Assert.Equal(0, (await CliAsync(tasker, NoSettings, "keygen", key)).Code);
        var folder = "shipped-" + Guid.NewGuid().ToString("N")[..8];
        fixture.WriteData($"{folder}/a.txt", "private a");
        fixture.WriteData($"{folder}/b.txt", "private b");
        var code = fixture.WriteCode("shipped", """
            import os, sys
            with open(os.path.join(sys.argv[1], "a.txt")) as f:
                print("read", len(f.read()), "bytes")
            """);
        var environment = fixture.ProcessEnvironment("shipped");
        environment["TASKER_SIGNING_KEY"] = key;
        await using var node = TaskerProcess.StartExecutable(tasker, environment, "run");
        await node.WaitForOutputAsync("Ready", Limit);

        var client = new Dictionary<string, string?>(TaskerFixture.QueuesOf(environment)) { ["TASKER_AMQP_URI"] = environment["TASKER_AMQP_URI"] };
        var (exit, output) = await CliAsync(tasker, client, "submit", "--code", code, "--data", folder, "--wait", "--timeout", "80");

        Assert.True(exit == 0, output + "\n--- node:\n" + node.Output);
        var json = output[output.IndexOf('{', StringComparison.Ordinal)..];
        var done = JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.DoneMessage)!;
        Assert.Equal(TaskStates.Success, done.State);
        Assert.Equal("read 9 bytes\n", done.ContainerOutput!.Stdout);
        Assert.Contains(done.TraceSummary!.DataRead, p => p.EndsWith($"{folder}/a.txt", StringComparison.Ordinal));
        Assert.DoesNotContain(done.TraceSummary.DataRead, p => p.EndsWith("b.txt", StringComparison.Ordinal));
        Assert.NotNull(done.ReceiptSignature);
        var donePath = Path.Combine(fixture.Root, $"shipped-done-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(donePath, json);
        var verify = await CliAsync(tasker, NoSettings, "receipt", "verify", donePath, "--public-key", key + ".pub");
        Assert.True(verify.Code == 0, verify.Output);
        Assert.Contains("receipt verifies", verify.Output, StringComparison.Ordinal);

        // One bad input: a receipt whose stdout was changed does not verify.
        await File.WriteAllTextAsync(donePath, json.Replace("read 9 bytes", "read 0 bytes", StringComparison.Ordinal));
        Assert.NotEqual(0, (await CliAsync(tasker, NoSettings, "receipt", "verify", donePath, "--public-key", key + ".pub")).Code);
    }

    [Fact]
    public async Task Api_ShippedBinaryOnSqlite_SubmitsListsAndAnswersEveryDocument()
    {
        var tasker = await shipped.GetPathAsync();
        var environment = fixture.ProcessEnvironment("shipped-api");
        await using var node = TaskerProcess.StartExecutable(tasker, environment, "run");
        await node.WaitForOutputAsync("Ready", Limit);
        var settings = new Dictionary<string, string?>(TaskerFixture.QueuesOf(environment))
        {
            ["TASKER_AMQP_URI"] = environment["TASKER_AMQP_URI"],
            ["TASKER_DB"] = Path.Combine(fixture.Root, $"shipped-api-{Guid.NewGuid():N}", "tasker.db"),
            ["TASKER_ADMIN_KEY"] = ApiUnderTest.AdminKey,
        };
        await using var api = await ApiUnderTest.StartProcessAsync(settings, tasker);
        var key = await api.CreateClientAsync("shipped");
        var code = fixture.WriteCode("shipped-api", "print('through the api')\n");
        var data = fixture.WriteData($"shipped-api-{Guid.NewGuid():N}.txt", "x");

        var (status, accepted, _) = await api.SendAsync(HttpMethod.Post, "/v1/tasks", key, new JsonObject { ["codePath"] = code, ["dataPath"] = data });
        Assert.Equal(HttpStatusCode.Accepted, status);
        var taskId = accepted!["taskId"]!.GetValue<string>();
        var deadline = DateTime.UtcNow + Limit;
        JsonNode? task;
        do
        {
            await Task.Delay(200);
            (_, task, _) = await api.SendAsync(HttpMethod.Get, $"/v1/tasks/{taskId}", key);
        }
        while (task?["state"]?.GetValue<string>() is "queued" or "running" && DateTime.UtcNow < deadline);

        Assert.True(task?["state"]?.GetValue<string>() == "success", task?.ToJsonString() + "\n--- api:\n" + api.Process.Output);
        var (listStatus, page, _) = await api.SendAsync(HttpMethod.Get, "/v1/tasks?state=success&limit=10", key);
        Assert.Equal(HttpStatusCode.OK, listStatus);
        Assert.Equal([taskId], page!["tasks"]!.AsArray().Select(t => t!["taskId"]!.GetValue<string>()));
        foreach (var path in new[] { "/openapi.json", "/metrics", "/health", "/version" })
        {
            using var response = await api.Http.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        // One bad input: a submission without its codePath is refused with the field named.
        var (badStatus, bad, _) = await api.SendAsync(HttpMethod.Post, "/v1/tasks", key, new JsonObject { ["dataPath"] = data });
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.Contains("codePath", bad!.ToJsonString(), StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output)> CliAsync(string tasker, IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        await using var cli = TaskerProcess.StartExecutable(tasker, environment, arguments);
        var code = await cli.WaitForExitAsync(Limit);
        return (code, cli.Output);
    }
}
