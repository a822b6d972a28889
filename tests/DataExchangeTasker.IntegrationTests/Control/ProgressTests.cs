using System.Text.Json;
using DataExchangeTasker.Api.Messaging;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Protocol;
using RabbitMQ.Client;

namespace DataExchangeTasker.IntegrationTests.Control;

/// <summary>Progress messages and the v0.2 done format, against a real broker and engine.</summary>
[Collection(TaskerCollection.Name)]
public sealed class ProgressTests(TaskerFixture fixture)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Run_WithProgress_PublishesTheFourStepsInOrder()
    {
        var code = fixture.WriteCode("progress", "print('p')\n");
        var data = fixture.WriteData("progress.txt", "x");
        await using var connection = await fixture.Broker.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(ControlExchanges.ProgressExchange, ExchangeType.Direct, durable: true);
        // A private copy (exclusive: gone with the connection; not auto-delete, as each collect ends its consumer): the shared tasker_progress queue may hold other tests' steps.
        var queue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: false)).QueueName;
        await channel.QueueBindAsync(queue, ControlExchanges.ProgressExchange, ControlExchanges.ProgressExchange);
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?> { [Settings.Progress.Name] = "true" });
        var taskId = "progress-" + Guid.NewGuid().ToString("N")[..8];

        Assert.Equal(TaskStates.Success, (await tasker.RunAsync(new StartMessage(taskId, code, data))).State);

        // One consumer for all four, in queue order (one consumer per message requeued the others' and this task's
        // later steps, and a requeued step could come back behind a later one: seen once in a full run).
        var messages = await TestQueues.CollectAsync(channel, queue, 4, Limit,
            where: m => TaskIdOf(m) == taskId);
        var steps = new List<(string Step, int Index)>();
        foreach (var message in messages)
        {
            using var json = JsonDocument.Parse(message.Body);
            Assert.True(json.RootElement.TryGetProperty("at", out _));
            steps.Add((json.RootElement.GetProperty("step").GetString()!, json.RootElement.GetProperty("stepIndex").GetInt32()));
        }

        Assert.Equal([("VerifyingAlgorithm", 0), ("CreatingContainer", 1), ("ExecutingAlgorithm", 2), ("CleaningUp", 3)], steps);
    }

    private static string? TaskIdOf(ReceivedMessage message)
    {
        using var json = JsonDocument.Parse(message.Body);
        return json.RootElement.GetProperty("taskId").GetString();
    }

    [Fact]
    public async Task Run_WithDoneFormatV02_DoneQueueCarriesRunningStatesThenSuccess()
    {
        var code = fixture.WriteCode("v02", "print('v02 out')\n");
        var data = fixture.WriteData("v02.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?> { [Settings.DoneFormat.Name] = "v0.2" });
        await tasker.PublishAsync(new StartMessage("v02-1", code, data));

        var messages = await tasker.CollectDoneAsync(5, Limit);

        var states = messages.Select(m => JsonDocument.Parse(m.Body).RootElement).ToList();
        Assert.All(states, s => Assert.Equal("v02-1", s.GetProperty("taskId").GetString()));
        // Running states are published best-effort on their own channel: in order among themselves, but the last one
        // may arrive after the final state.
        var running = states.Where(s => s.GetProperty("state").GetProperty("name").GetString() == "Running").ToList();
        Assert.Equal([0, 1, 2, 3], running.Select(s => s.GetProperty("state").GetProperty("currentStepIndex").GetInt32()));
        Assert.Equal("ExecutingAlgorithm", running[2].GetProperty("state").GetProperty("currentStep").GetProperty("name").GetString());
        var success = Assert.Single(states, s => s.GetProperty("state").GetProperty("name").GetString() == "Success");
        var output = success.GetProperty("state").GetProperty("output");
        Assert.Equal("v02 out\n", output.GetProperty("stdout").GetString());
        Assert.True(output.TryGetProperty("strace", out _));
    }
}
