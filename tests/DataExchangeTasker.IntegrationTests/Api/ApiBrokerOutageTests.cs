using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using DataExchangeTasker.IntegrationTests.Support;

namespace DataExchangeTasker.IntegrationTests.Api;

/// <summary>
/// Issue 22, defect 5: the api does not wait for the broker. HTTP is up at once (live, not ready: the broker is
/// named), submits are stored (the outbox) and answered at once, and published once the broker is reachable.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ApiBrokerOutageTests(ApiFixture fixture)
{
    [Fact]
    public async Task BrokerUnreachableAtStart_HttpUpAtOnce_SubmitStoredThenPublishedWhenTheBrokerComesBack()
    {
        await using var forwarder = new TcpForwarder(fixture.Tasker.Broker.Port);
        var queues = "outage-" + Guid.NewGuid().ToString("N")[..8];
        var settings = ApiUnderTest.Settings(fixture, ApiUnderTest.SqlitePath(fixture), queuesOf: queues);
        var brokerUri = new UriBuilder(fixture.Tasker.Broker.AmqpUri) { Port = forwarder.Port };
        settings["TASKER_AMQP_URI"] = brokerUri.Uri.ToString();

        var clock = Stopwatch.StartNew();
        await using var api = await ApiUnderTest.StartAsync(settings, startDeadline: TimeSpan.FromSeconds(15), waitReady: false);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"start took {clock.Elapsed}");
        using (var live = await api.Http.GetAsync("/health/live"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        using (var ready = await api.Http.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            var body = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;
            Assert.Contains("127.0.0.1:" + forwarder.Port, body["components"]!["broker"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        var key = await api.CreateClientAsync("patient");
        clock.Restart();
        var taskId = await api.SubmitDemoAsync(key);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"the submit took {clock.Elapsed} with the broker away");
        var (_, stored, r) = await api.SendAsync(HttpMethod.Get, "/v1/tasks/" + taskId, key);
        r.Dispose();
        Assert.Equal("queued", stored!["state"]!.GetValue<string>());
        Assert.Null(stored["publishedAt"]);

        forwarder.Start();
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = fixture.Tasker.Broker.AmqpUri };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        // The api declares the queues once it is connected: until then there is nothing to read.
        while (true)
        {
            await using var probe = await connection.CreateChannelAsync();
            try
            {
                await probe.QueueDeclarePassiveAsync(queues + ".todo");
                break;
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }

        var starts = await TestQueues.CollectAsync(channel, queues + ".todo", 1, TimeSpan.FromSeconds(30));
        Assert.Equal(taskId, JsonNode.Parse(starts[0].Body)!["taskId"]!.GetValue<string>());

        var published = await api.WaitForPublishedAsync(key, taskId, TimeSpan.FromSeconds(30));
        Assert.NotNull(published["publishedAt"]);
        using var readyNow = await api.Http.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, readyNow.StatusCode);
    }
}
