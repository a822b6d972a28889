using DataExchangeTasker.Configuration;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;
using RabbitMQ.Client;

namespace DataExchangeTasker.IntegrationTests.Messaging;

/// <summary>The copy of a done message to a start message's <c>reply_to</c> never holds up other answers.</summary>
[Collection(OutageCollection.Name)]
public sealed class ReplyToTests(TaskerFixture fixture)
{
    [Fact]
    public async Task Publish_ReplyToQueueRefusesEveryMessage_OtherAnswersAreNotHeldUp()
    {
        var code = fixture.WriteCode("reply-refused", "print('r')\n");
        var data = fixture.WriteData("reply-refused.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?> { [Settings.Concurrency.Name] = "4" }, TestTimings.ShortReplyRetry);
        var refusing = "refusing-" + Guid.NewGuid().ToString("N")[..8];
        await using (var connection = await fixture.Broker.ConnectAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            // The broker nacks every publish to this queue.
            await channel.QueueDeclareAsync(refusing, durable: false, exclusive: false, autoDelete: false,
                new Dictionary<string, object?> { ["x-max-length"] = 0, ["x-overflow"] = "reject-publish" });
        }

        await tasker.PublishAsync(new StartMessage("reply-refused-0", code, data), new BasicProperties { ReplyTo = refusing, CorrelationId = "c-0" });
        var first = (await tasker.CollectResultsAsync(1, TimeSpan.FromSeconds(90)))[0];
        Assert.Equal("reply-refused-0", first.TaskId);
        var ids = new[] { "reply-refused-1", "reply-refused-2", "reply-refused-3" };
        foreach (var id in ids)
        {
            await tasker.PublishAsync(new StartMessage(id, code, data));
        }

        // The refused copy is retried for about 13 s here (25 s in production); these run and are answered meanwhile:
        // before the copy is given up, so nothing waited for it.
        var others = await tasker.CollectUntilAnsweredAsync(ids, TimeSpan.FromSeconds(20));
        Assert.DoesNotContain("tasker_reply_failures_total 1", tasker.MetricsText(), StringComparison.Ordinal);

        Assert.Equal(ids, others.Select(d => d.TaskId).Distinct().Order(StringComparer.Ordinal));
        Assert.All(others, d => Assert.Equal(TaskStates.Success, d.State));
        await tasker.WaitUntilAsync(
            () => tasker.MetricsText().Contains("tasker_reply_failures_total 1", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "the given-up reply to be counted");
        var todo = await fixture.Broker.QueueCountsAsync(tasker.Options.Messaging.TodoQueue);
        Assert.Equal(0, todo.Ready + todo.Unacknowledged);
    }
}
