using System.Text.Json;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Spec;

namespace DataExchangeTasker.IntegrationTests.Pipeline;

/// <summary>What happens around and after the publish confirm: the answered record, redeliveries, oversized answers.</summary>
[Collection(TaskerCollection.Name)]
public sealed class SettlementTests(TaskerFixture fixture)
{
    [Fact]
    public async Task Settle_AnsweredRecordCannotBeWritten_DeliveryIsStillAcked()
    {
        var code = fixture.WriteCode("record-fails", "print('answered')\n");
        var data = fixture.WriteData("record-fails.txt", "x");
        var id = "it-" + Guid.NewGuid().ToString("N")[..10];
        var work = Path.Combine(fixture.Root, "work-" + id);
        var key = ContainerLabels.TaskKey(id, "record-fails-1");
        // A folder squatting where the answered record goes makes writing it fail, as a full disk would.
        Directory.CreateDirectory(Path.Combine(work, key + ".published"));
        Directory.CreateDirectory(Path.Combine(work, "answered", key));
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?> { [Settings.TaskerId.Name] = id, [Settings.WorkRoot.Name] = work });

        var done = await tasker.RunAsync(new StartMessage("record-fails-1", code, data));

        Assert.Equal("answered\n", done.ContainerOutput!.Stdout);
        await tasker.WaitUntilAsync(
            async () => await fixture.Broker.QueueCountsAsync(tasker.Options.Messaging.TodoQueue) is { Ready: 0, Unacknowledged: 0 },
            TimeSpan.FromSeconds(20), "the start message to be acknowledged");
    }

    [Fact]
    public async Task Redelivery_ReusedTaskIdWithNewBody_RunsAgainButSameBodyIsOnlyAcked()
    {
        var one = fixture.WriteCode("reuse-one", "print('one')\n");
        var two = fixture.WriteCode("reuse-two", "print('two')\n");
        var data = fixture.WriteData("reuse.txt", "x");
        var first = JsonSerializer.SerializeToUtf8Bytes(new StartMessage("reused-1", one, data), ProtocolJsonContext.Default.StartMessage);
        var second = JsonSerializer.SerializeToUtf8Bytes(new StartMessage("reused-1", two, data), ProtocolJsonContext.Default.StartMessage);
        var identity = new Dictionary<string, string?>();
        await using (var tasker = await InProcessTasker.StartAsync(fixture))
        {
            await tasker.PublishRawAsync(first);
            Assert.Equal("one\n", (await tasker.CollectResultsAsync(1, TimeSpan.FromSeconds(90)))[0].ContainerOutput!.Stdout);
            await tasker.StopAsync();
            identity[Settings.TaskerId.Name] = tasker.Options.TaskerId;
            identity[Settings.WorkRoot.Name] = tasker.Options.Sandbox.WorkRoot;
            identity[Settings.TodoQueue.Name] = tasker.Options.Messaging.TodoQueue;
            identity[Settings.DoneQueue.Name] = tasker.Options.Messaging.DoneQueue;

            // The same message again and a new one reusing its taskId, both redelivered (as after a crash).
            await tasker.PublishRawAsync(first);
            await tasker.PublishRawAsync(second);
        }

        await RedeliverAllAsync(identity[Settings.TodoQueue.Name]!, 2);
        await using var restarted = await InProcessTasker.StartAsync(fixture, identity);

        var answers = await restarted.CollectResultsAsync(1, TimeSpan.FromSeconds(90));
        Assert.Equal("two\n", answers[0].ContainerOutput!.Stdout);
        await restarted.WaitUntilAsync(
            async () => await fixture.Broker.QueueCountsAsync(restarted.Options.Messaging.TodoQueue) is { Ready: 0, Unacknowledged: 0 },
            TimeSpan.FromSeconds(30), "both redeliveries to be settled");
        Assert.Equal(0u, await fixture.Broker.MessageCountAsync(restarted.Options.Messaging.DoneQueue));
    }

    [Fact]
    public async Task Publish_DoneLargerThanBrokerMaxMessageSize_IsTrimmedToFit()
    {
        const int brokerLimit = 256 * 1024;
        await using var broker = await RabbitMqBroker.StartAsync();
        await broker.RabbitmqctlAsync(["eval", $"application:set_env(rabbit, max_message_size, {brokerLimit})."]);
        var code = fixture.WriteCode("oversized", "import sys\nsys.stdout.write('o' * 700000)\nsys.stderr.write('e' * 300000)\n");
        var data = fixture.WriteData("oversized.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?> { [Settings.AmqpUri.Name] = broker.AmqpUri.ToString() });

        await tasker.PublishAsync(new StartMessage("oversized-1", code, data));
        var raw = (await tasker.CollectDoneAsync(1, TimeSpan.FromSeconds(90)))[0];

        Assert.True(raw.Body.Length <= brokerLimit, $"{raw.Body.Length} bytes");
        var done = InProcessTasker.Parse(raw);
        Assert.Equal(TaskStates.Success, done.State);
        Assert.True(done.Truncated!.Stdout);
        Assert.StartsWith("ooo", done.ContainerOutput!.Stdout, StringComparison.Ordinal);
        await tasker.WaitUntilAsync(
            async () => await broker.QueueCountsAsync(tasker.Options.Messaging.TodoQueue) is { Ready: 0, Unacknowledged: 0 },
            TimeSpan.FromSeconds(20), "the start message to be acknowledged");
    }

    private async Task RedeliverAllAsync(string queue, int count)
    {
        await using var connection = await fixture.Broker.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var tags = new List<ulong>();
        for (var i = 0; i < count; i++)
        {
            var got = await TestQueues.GetWithDeadlineAsync(channel, queue, TimeSpan.FromSeconds(10), autoAck: false, CancellationToken.None);
            tags.Add(Assert.IsType<RabbitMQ.Client.BasicGetResult>(got).DeliveryTag);
        }

        foreach (var tag in tags)
        {
            await channel.BasicNackAsync(tag, multiple: false, requeue: true);
        }
    }
}
