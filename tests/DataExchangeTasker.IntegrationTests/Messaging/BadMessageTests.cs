using System.Text;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Protocol;
using RabbitMQ.Client;

namespace DataExchangeTasker.IntegrationTests.Messaging;

/// <summary>Every bad start message gets its documented outcome, and the tasker keeps serving.</summary>
[Collection(TaskerCollection.Name)]
public sealed class BadMessageTests(TaskerFixture fixture)
{
    public static TheoryData<string, string> Unusable => new()
    {
        { "not json {", "not valid JSON" },
        { "[1, 2, 3]", "expected a JSON object, got an array" },
        { "{}", "taskId is missing" },
        { "{\"codePath\": \"x\", \"dataPath\": \"y\"}", "taskId is missing" },
        { "{\"taskId\": 123, \"codePath\": \"x\", \"dataPath\": \"y\"}", "taskId must be a non-empty string, got a number 123" },
        { "{\"taskId\": \"\", \"codePath\": \"x\", \"dataPath\": \"y\"}", "taskId is empty" },
        { "\"just a string\"", "expected a JSON object, got a string" },
    };

    [Theory]
    [MemberData(nameof(Unusable))]
    public async Task Consume_MessageWithoutUsableTaskId_IsDeadLetteredWithReasonAndTaskerKeepsServing(string body, string reason)
    {
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        await tasker.PublishRawAsync(Encoding.UTF8.GetBytes(body));
        await using var connection = await fixture.Broker.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var dead = await TestQueues.CollectAsync(channel, tasker.Options.Messaging.DeadLetterQueue, 1, TimeSpan.FromSeconds(30));

        Assert.Equal(body, Encoding.UTF8.GetString(dead[0].Body));
        Assert.Contains(reason, dead[0].HeaderString(DeadLetterPublisher.ReasonHeader), StringComparison.Ordinal);
        await AssertStillServesAsync(tasker);
        Assert.Equal(0u, await fixture.Broker.MessageCountAsync(tasker.Options.Messaging.DoneQueue));
    }

    public static TheoryData<string, string> Invalid => new()
    {
        { "{\"taskId\": \"bad-1\", \"dataPath\": \"y\"}", "codePath is missing" },
        { "{\"taskId\": \"bad-2\", \"codePath\": 7, \"dataPath\": \"y\"}", "codePath must be a string, got a number 7" },
        { "{\"taskId\": \"bad-3\", \"codePath\": \"x\", \"dataPath\": [\"y\"]}", "dataPath must be a string, got an array" },
        { "{\"taskId\": \"bad-4\", \"codePath\": \"x\", \"dataPath\": \"y\", \"limits\": {\"timeoutSeconds\": \"10\"}}", "limits.timeoutSeconds must be a positive whole number, got \"10\"" },
        { "{\"taskId\": \"bad-5\", \"codePath\": \"x\", \"dataPath\": \"y\", \"codeHash\": \"abc\"}", "codeHash must be an object" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task Consume_MessageWithTaskIdButBadField_IsRejectedNamingTheField(string body, string error)
    {
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        await tasker.PublishRawAsync(Encoding.UTF8.GetBytes(body));
        var done = (await tasker.CollectResultsAsync(1, TimeSpan.FromSeconds(30)))[0];

        Assert.Equal(TaskStates.Rejected, done.State);
        Assert.Equal(Reasons.InvalidMessage, done.Reason);
        Assert.Contains(error, done.Output, StringComparison.Ordinal);
        Assert.Null(done.ContainerOutput);
    }

    [Fact]
    public async Task Consume_HugeBodyWithTaskId_IsRejectedAndOthersStillRun()
    {
        await using var tasker = await InProcessTasker.StartAsync(fixture);
        var padding = new string('x', 3 * 1024 * 1024);

        await tasker.PublishRawAsync(Encoding.UTF8.GetBytes($"{{\"taskId\": \"huge-1\", \"codePath\": \"x\", \"dataPath\": \"y\", \"pad\": \"{padding}\"}}"));
        var done = (await tasker.CollectResultsAsync(1, TimeSpan.FromSeconds(30)))[0];

        Assert.Equal("huge-1", done.TaskId);
        Assert.Equal(Reasons.InvalidMessage, done.Reason);
        Assert.Contains("expected at most 1048576", done.Output, StringComparison.Ordinal);
        await AssertStillServesAsync(tasker);
    }

    [Fact]
    public async Task Consume_UnknownFields_AreIgnored()
    {
        var code = fixture.WriteCode("unknown-fields", "print('fine')\n");
        var data = fixture.WriteData("unknown-fields.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        await tasker.PublishRawAsync(Encoding.UTF8.GetBytes($"{{\"taskId\": \"extra-1\", \"codePath\": \"{code}\", \"dataPath\": \"{data}\", \"priority\": 5, \"meta\": {{\"a\": [1]}}}}"));
        var done = (await tasker.CollectResultsAsync(1, TimeSpan.FromSeconds(60)))[0];

        Assert.Equal(TaskStates.Success, done.State);
        Assert.Equal("fine\n", done.ContainerOutput!.Stdout);
    }

    [Fact]
    public async Task Consume_StartMessageWithReplyTo_AlsoAnswersThereWithItsCorrelationId()
    {
        var code = fixture.WriteCode("reply-to", "print('rpc')\n");
        var data = fixture.WriteData("reply-to.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);
        await using var connection = await fixture.Broker.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var replyQueue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;

        await tasker.PublishAsync(new StartMessage("rpc-1", code, data), new BasicProperties { ReplyTo = replyQueue, CorrelationId = "my-correlation" });
        var reply = await TestQueues.CollectAsync(channel, replyQueue, 1, TimeSpan.FromSeconds(60));
        var done = (await tasker.CollectResultsAsync(1, TimeSpan.FromSeconds(30)))[0];

        Assert.Equal("my-correlation", reply[0].CorrelationId);
        Assert.Equal("rpc-1", InProcessTasker.Parse(reply[0]).TaskId);
        Assert.Equal("rpc-1", done.TaskId);
    }

    private async Task AssertStillServesAsync(InProcessTasker tasker)
    {
        var data = fixture.WriteData("still-serving.txt", "x");
        var done = await tasker.RunAsync(new StartMessage("after-bad-" + Guid.NewGuid().ToString("N")[..6], "no_such_code_folder", data));
        Assert.Equal(Reasons.PathNotFound, done.Reason);
    }
}
