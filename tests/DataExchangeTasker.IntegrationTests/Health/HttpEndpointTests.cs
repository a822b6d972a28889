using System.Net;
using System.Text.Json;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.IntegrationTests.Health;

/// <summary>Every HTTP endpoint against a running tasker with a real broker and engine.</summary>
[Collection(OutageCollection.Name)]
public sealed class HttpEndpointTests(TaskerFixture fixture)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Endpoints_RunningTasker_AnswerAndMetricsMoveAfterTasks()
    {
        var port = FreePort();
        var code = fixture.WriteCode("http-metrics", "print('m')\n");
        var data = fixture.WriteData("http-metrics.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?> { [Settings.HttpBind.Name] = $"127.0.0.1:{port}" });
        var url = $"http://127.0.0.1:{port}";

        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(url + "/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(url + "/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(url + "/health/ready")).StatusCode);
        using (var detailed = JsonDocument.Parse(await Http.GetStringAsync(url + "/health/detailed")))
        {
            Assert.Equal("ready", detailed.RootElement.GetProperty("status").GetString());
            foreach (var component in new[] { "broker", "engine", "image", "consumer" })
            {
                Assert.Equal("up", detailed.RootElement.GetProperty("components").GetProperty(component).GetProperty("status").GetString());
            }
        }

        using (var version = JsonDocument.Parse(await Http.GetStringAsync(url + "/version")))
        {
            Assert.Equal(ThisAssembly.Version, version.RootElement.GetProperty("version").GetString());
        }

        await tasker.RunAsync(new StartMessage("metrics-ok", code, data));
        await tasker.RunAsync(new StartMessage("metrics-missing", "no_such_folder", data));
        // A task is counted right after its answer is published (so a refused publish is never counted): the done
        // message can arrive first.
        var metrics = "";
        await tasker.WaitUntilAsync(async () => (metrics = await Http.GetStringAsync(url + "/metrics")).Contains("state=\"rejected\"", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the rejected task to be counted");

        Assert.Contains("tasker_tasks_total{reason=\"none\",state=\"success\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("tasker_tasks_total{reason=\"path_not_found\",state=\"rejected\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("tasker_task_duration_seconds_count 1", metrics, StringComparison.Ordinal);
        Assert.Contains("tasker_container_start_seconds_count 1", metrics, StringComparison.Ordinal);
        Assert.Contains("tasker_tasks_in_flight 0", metrics, StringComparison.Ordinal);
        Assert.Contains("tasker_broker_up 1", metrics, StringComparison.Ordinal);
        Assert.Contains("tasker_engine_up 1", metrics, StringComparison.Ordinal);
        Assert.Contains("tasker_queue_consumer_up 1", metrics, StringComparison.Ordinal);
        Assert.Contains("tasker_build_info{version=", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ready_BrokerGoesAway_Turns503AndBackTo200()
    {
        await using var broker = await RabbitMqBroker.StartAsync();
        var port = FreePort();
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?>
        {
            [Settings.HttpBind.Name] = $"127.0.0.1:{port}",
            [Settings.AmqpUri.Name] = broker.AmqpUri.ToString(),
        });
        var ready = $"http://127.0.0.1:{port}/health/ready";
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(ready)).StatusCode);

        await broker.StopAsync();
        await tasker.WaitUntilAsync(() => !tasker.Health.IsReady, TimeSpan.FromSeconds(30), "not ready after the broker stopped");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Http.GetAsync(ready)).StatusCode);
        using (var response = await Http.GetAsync($"http://127.0.0.1:{port}/health/detailed"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            using var detailed = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var brokerHealth = detailed.RootElement.GetProperty("components").GetProperty("broker");
            Assert.Equal("down", brokerHealth.GetProperty("status").GetString());
            Assert.False(string.IsNullOrEmpty(brokerHealth.GetProperty("lastError").GetString()));
        }

        await broker.StartAgainAsync();
        await tasker.WaitUntilAsync(() => tasker.Health.IsReady, TimeSpan.FromSeconds(60), "ready again after the broker came back");
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(ready)).StatusCode);
    }

    [Fact]
    public async Task Start_ProbesHittingThePortWhileItBinds_StartsAndAnswers()
    {
        var port = FreePort();
        using var stop = new CancellationTokenSource();
        // A liveness probe that is already polling when the process starts (as Kubernetes or the benchmark do).
        var probing = Task.Run(async () =>
        {
            var answered = 0;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await Http.GetAsync($"http://127.0.0.1:{port}/health/live", stop.Token);
                    answered += response.IsSuccessStatusCode ? 1 : 0;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // Not listening yet.
                }

                await Task.Delay(1, CancellationToken.None);
            }

            return answered;
        });

        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?> { [Settings.HttpBind.Name] = $"127.0.0.1:{port}" });
        await tasker.WaitUntilAsync(() => probing.IsCompleted || tasker.Health.IsReady, TimeSpan.FromSeconds(30), "ready");
        await stop.CancelAsync();

        Assert.True(await probing > 0);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync($"http://127.0.0.1:{port}/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync($"http://127.0.0.1:{port}/nope")).StatusCode);
    }

    [Fact]
    public async Task Serve_TwoThousandIdleConnections_LiveStillAnswersAndConnectionsAreCapped()
    {
        var port = FreePort();
        var environment = fixture.ProcessEnvironment("http-flood");
        environment["TASKER_HTTP_BIND"] = $"127.0.0.1:{port}";
        await using var tasker = TaskerProcess.Start(environment, "run");
        var url = $"http://127.0.0.1:{port}/health/live";
        await WaitForAsync(async () => (await Http.GetAsync(url)).StatusCode == HttpStatusCode.OK, "the tasker to listen", tasker);
        var idle = new List<System.Net.Sockets.TcpClient>();
        try
        {
            for (var i = 0; i < 2000; i++)
            {
                var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                idle.Add(client);
            }

            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var live = await Http.GetAsync(url);

            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
            var sockets = Directory.EnumerateFileSystemEntries($"/proc/{tasker.Id}/fd")
                .Count(fd => new FileInfo(fd).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true);
            Assert.True(sockets < 300, $"the tasker holds {sockets} sockets");
        }
        finally
        {
            foreach (var client in idle)
            {
                client.Dispose();
            }
        }
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what, TaskerProcess process)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline || process.HasExited)
            {
                throw new TimeoutException($"{what} not seen. Output:\n{process.Output}");
            }

            await Task.Delay(100);
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
