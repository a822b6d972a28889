using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DataExchangeTasker.Api;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.IntegrationTests.Support;
using Serilog;

namespace DataExchangeTasker.IntegrationTests.Api;

/// <summary>
/// A <c>tasker api</c> under test: in process (<see cref="StartAsync"/>, an <see cref="ApiHost"/> on a free port) or as
/// its own process (<see cref="StartProcessAsync"/>, for kill -9 and several processes), with an HttpClient and helpers.
/// </summary>
internal sealed class ApiUnderTest : IAsyncDisposable
{
    public const string AdminKey = "test-admin-key-0123456789";

    private readonly ApiHost? _host;
    private readonly TaskerProcess? _process;

    private ApiUnderTest(ApiHost? host, TaskerProcess? process, Uri baseAddress)
    {
        _host = host;
        _process = process;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public HttpClient Http { get; }

    public ApiHost Host => _host ?? throw new InvalidOperationException("out of process");

    public TaskerProcess Process => _process ?? throw new InvalidOperationException("in process");

    /// <summary>Settings of an api publishing to the fixture's worker, on store <paramref name="database"/>.</summary>
    public static Dictionary<string, string?> Settings(ApiFixture fixture, string database, string? queuesOf = null) => new()
    {
        ["TASKER_AMQP_URI"] = fixture.Tasker.Broker.AmqpUri.ToString(),
        ["TASKER_TODO_QUEUE"] = queuesOf is null ? fixture.Worker.Options.Messaging.TodoQueue : queuesOf + ".todo",
        ["TASKER_DONE_QUEUE"] = queuesOf is null ? fixture.Worker.Options.Messaging.DoneQueue : queuesOf + ".done",
        ["TASKER_DB"] = database,
        ["TASKER_ADMIN_KEY"] = AdminKey,
        ["TASKER_API_BIND"] = "127.0.0.1:0",
        ["TASKER_LOG_LEVEL"] = "warning",
    };

    /// <summary>A new SQLite store path in the fixture's temp folder.</summary>
    public static string SqlitePath(ApiFixture fixture) => Path.Combine(fixture.Tasker.Root, "api-" + Guid.NewGuid().ToString("N")[..8], "tasker.db");

    public static async Task<ApiUnderTest> StartAsync(IReadOnlyDictionary<string, string?> settings, TimeSpan? startDeadline = null, bool waitReady = true)
    {
        var options = ApiOptionsLoader.Load(settings);
        var log = new LoggerConfiguration().MinimumLevel.Warning()
            .WriteTo.Console(standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose, formatProvider: System.Globalization.CultureInfo.InvariantCulture).CreateLogger();
        using var timeout = new CancellationTokenSource(startDeadline ?? TimeSpan.FromSeconds(60));
        var host = await ApiHost.StartAsync(options, log, timeout.Token);
        var api = new ApiUnderTest(host, null, host.BaseAddress);
        if (waitReady)
        {
            // HTTP is up before the broker link: most tests want both.
            try
            {
                await host.Services.Broker.Ready.WaitAsync(timeout.Token);
            }
            catch
            {
                await api.DisposeAsync();
                throw;
            }
        }

        return api;
    }

    /// <summary>
    /// Starts <c>tasker api</c> as a process on a free port and waits until /health/ready answers 200: this build's, or
    /// the published <paramref name="executable"/> (<see cref="ShippedBinary"/>).
    /// </summary>
    public static async Task<ApiUnderTest> StartProcessAsync(Dictionary<string, string?> settings, string? executable = null)
    {
        var port = FreePort();
        var env = new Dictionary<string, string?>(settings) { ["TASKER_API_BIND"] = $"127.0.0.1:{port}", ["TASKER_LOG_LEVEL"] = "info" };
        var process = executable is null ? TaskerProcess.Start(env, "api") : TaskerProcess.StartExecutable(executable, env, "api");
        var api = new ApiUnderTest(null, process, new Uri($"http://127.0.0.1:{port}/"));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                using var response = await api.Http.GetAsync("/health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return api;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                await api.DisposeAsync();
                throw new TimeoutException($"tasker api did not become ready. Output:\n{process.Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Creates a client through the admin endpoint; returns its API key.</summary>
    public async Task<string> CreateClientAsync(string clientId, string tier = "enterprise")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/clients") { Content = Json(new JsonObject { ["clientId"] = clientId, ["tier"] = tier }) };
        request.Headers.Add("X-Admin-Key", AdminKey);
        using var response = await Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return JsonNode.Parse(body)!["apiKey"]!.GetValue<string>();
    }

    /// <summary>Sends a request as a client (<paramref name="key"/> null: no Authorization header).</summary>
    public async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, string? key, JsonNode? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
        }

        if (body is not null)
        {
            request.Content = Json(body);
        }

        var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response);
    }

    /// <summary>Sends a request with the admin key.</summary>
    public async Task<(HttpStatusCode Status, JsonNode? Body)> AdminSendAsync(HttpMethod method, string path, JsonNode? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Admin-Key", AdminKey);
        if (body is not null)
        {
            request.Content = Json(body);
        }

        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    /// <summary>Every task of <paramref name="clientId"/> (newest first), as the admin sees them.</summary>
    public async Task<IReadOnlyList<JsonNode>> AdminTasksAsync(string? clientId = null)
    {
        var (status, page) = await AdminSendAsync(HttpMethod.Get, "/v1/tasks?limit=500" + (clientId is null ? "" : "&client=" + clientId));
        Assert.True(status == HttpStatusCode.OK, page?.ToJsonString());
        return page!["tasks"]!.AsArray().Select(t => t!).ToList();
    }

    /// <summary>The value of one unlabelled counter or gauge of <c>/metrics</c> (0 when absent).</summary>
    public async Task<long> MetricAsync(string name)
    {
        var text = await Http.GetStringAsync("/metrics");
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Submits the demo task; asserts 202 and returns the taskId.</summary>
    public async Task<string> SubmitDemoAsync(string key, string? taskId = null, int delaySeconds = 0)
    {
        var body = new JsonObject { ["codePath"] = ApiFixture.DemoCode, ["dataPath"] = ApiFixture.DemoData };
        if (taskId is not null)
        {
            body["taskId"] = taskId;
        }

        if (delaySeconds > 0)
        {
            body["delaySeconds"] = delaySeconds;
        }

        var (status, answer, response) = await SendAsync(HttpMethod.Post, "/v1/tasks", key, body);
        response.Dispose();
        Assert.True(status == HttpStatusCode.Accepted, $"{status}: {answer}");
        return answer!["taskId"]!.GetValue<string>();
    }

    /// <summary>Polls GET /v1/tasks/{id} until its state is <paramref name="state"/>; returns the task.</summary>
    public async Task<JsonNode> WaitForStateAsync(string key, string taskId, string state, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonNode? last = null;
        while (DateTime.UtcNow < deadline)
        {
            var (status, body, response) = await SendAsync(HttpMethod.Get, "/v1/tasks/" + taskId, key);
            response.Dispose();
            last = body;
            if (status == HttpStatusCode.OK && body!["state"]!.GetValue<string>() == state)
            {
                return body;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"task {taskId} not {state} within {timeout}; last: {last?.ToJsonString()}");
    }

    /// <summary>Polls GET /v1/tasks/{id} until the broker confirmed its start message (publishedAt set); returns the task.</summary>
    public async Task<JsonNode> WaitForPublishedAsync(string key, string taskId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonNode? last = null;
        while (DateTime.UtcNow < deadline)
        {
            var (status, body, response) = await SendAsync(HttpMethod.Get, "/v1/tasks/" + taskId, key);
            response.Dispose();
            last = body;
            if (status == HttpStatusCode.OK && body!["publishedAt"] is not null)
            {
                return body;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"task {taskId} not published within {timeout}; last: {last?.ToJsonString()}");
    }

    public static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
    }
}
