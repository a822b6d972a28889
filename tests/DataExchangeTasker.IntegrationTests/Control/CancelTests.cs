using System.Text.Json;
using DataExchangeTasker.Cli;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.IntegrationTests.Control;

/// <summary>Cancels through <c>tasker_control</c>, against a real broker and engine.</summary>
[Collection(TaskerCollection.Name)]
public sealed class CancelTests(TaskerFixture fixture)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Cancel_RunningTask_EndsErrorCancelledWithPartialOutputAndNoContainer()
    {
        var code = fixture.WriteCode("cancel-running", "import time\nprint('partial', flush=True)\ntime.sleep(300)\nprint('never')\n");
        var data = fixture.WriteData("cancel-running.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);
        await tasker.PublishAsync(new StartMessage("cancel-run-1", code, data));
        await WaitForStdoutAsync(tasker, "partial");

        await CancelCommand.PublishAsync(tasker.Options.Messaging.AmqpUri, "cancel-run-1", CancellationToken.None);
        var done = (await tasker.CollectResultsAsync(1, Limit))[0];

        Assert.Equal(TaskStates.Error, done.State);
        Assert.Equal(Reasons.Cancelled, done.Reason);
        Assert.Equal("partial\n", done.ContainerOutput!.Stdout);
        await tasker.WaitUntilAsync(async () => (await tasker.ContainersAsync(fixture)).Count == 0, Limit, "the container to be removed");
    }

    [Fact]
    public async Task Cancel_QueuedTask_EndsErrorCancelledWithoutContainer()
    {
        var slow = fixture.WriteCode("cancel-first", "import time\ntime.sleep(4)\nprint('first')\n");
        var code = fixture.WriteCode("cancel-queued", "print('must not run')\n");
        var data = fixture.WriteData("cancel-queued.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?> { [Settings.Concurrency.Name] = "1" });
        await using var starts = DockerEvents.FollowStarts(tasker.Options.TaskerId);
        await tasker.PublishAsync(new StartMessage("cancel-q-long", slow, data));
        await tasker.WaitUntilAsync(async () => (await tasker.ContainersAsync(fixture)).Count == 1, Limit, "the long task's container");
        await tasker.PublishAsync(new StartMessage("cancel-q-1", code, data));

        await CancelCommand.PublishAsync(tasker.Options.Messaging.AmqpUri, "cancel-q-1", CancellationToken.None);
        var done = await tasker.CollectUntilAnsweredAsync(["cancel-q-long", "cancel-q-1"], Limit);

        var cancelled = Assert.Single(done, d => d.TaskId == "cancel-q-1");
        Assert.Equal(TaskStates.Error, cancelled.State);
        Assert.Equal(Reasons.Cancelled, cancelled.Reason);
        Assert.Null(cancelled.ContainerOutput);
        Assert.Equal(TaskStates.Success, Assert.Single(done, d => d.TaskId == "cancel-q-long").State);
        // Only the long task's container ever started.
        Assert.Equal(["cancel-q-long"], await starts.WaitForAsync(1, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Cancel_QueuedTaskThenRestart_CancelSurvivesRestart()
    {
        var slow = fixture.WriteCode("cancel-restart-long", "import time\ntime.sleep(3)\nprint('long')\n");
        var code = fixture.WriteCode("cancel-restart", "print('must not run')\n");
        var data = fixture.WriteData("cancel-restart.txt", "x");
        var id = "it-cr-" + Guid.NewGuid().ToString("N")[..8];
        var settings = new Dictionary<string, string?>
        {
            [Settings.Concurrency.Name] = "1",
            [Settings.TaskerId.Name] = id,
            [Settings.WorkRoot.Name] = Path.Combine(fixture.Root, "work-" + id),
            [Settings.ResultsRoot.Name] = Path.Combine(fixture.Root, "results-" + id),
            [Settings.TodoQueue.Name] = id + ".todo",
            [Settings.DoneQueue.Name] = id + ".done",
            [Settings.DrainTimeout.Name] = "0",
        };
        await using (var first = await InProcessTasker.StartAsync(fixture, settings))
        {
            await first.PublishAsync(new StartMessage("cancel-r-long", slow, data));
            await first.WaitUntilAsync(async () => (await first.ContainersAsync(fixture)).Count == 1, Limit, "the long task's container");
            await first.PublishAsync(new StartMessage("cancel-r-1", code, data));
            await CancelCommand.PublishAsync(first.Options.Messaging.AmqpUri, "cancel-r-1", CancellationToken.None);
            var memory = Path.Combine(first.Options.Sandbox.WorkRoot, "cancels.log");
            await first.WaitUntilAsync(() => File.Exists(memory) && File.ReadAllText(memory).Contains("cancel-r-1", StringComparison.Ordinal), Limit, "the cancel to be remembered");
            await first.StopAsync();
        }

        await using var second = await InProcessTasker.StartAsync(fixture, settings);
        var done = await second.CollectUntilAnsweredAsync(["cancel-r-long", "cancel-r-1"], Limit);

        var cancelled = Assert.Single(done, d => d.TaskId == "cancel-r-1");
        Assert.Equal(Reasons.Cancelled, cancelled.Reason);
        Assert.Null(cancelled.ContainerOutput);
    }

    [Fact]
    public async Task CancelCommand_RunningTask_SubmitWaitShowsErrorCancelled()
    {
        var code = fixture.WriteCode("cancel-cli", "import time\nprint('cli partial', flush=True)\ntime.sleep(300)\n");
        var data = fixture.WriteData("cancel-cli.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);
        var broker = new Dictionary<string, string?>
        {
            ["TASKER_AMQP_URI"] = tasker.Options.Messaging.AmqpUri.ToString(),
            ["TASKER_TODO_QUEUE"] = tasker.Options.Messaging.TodoQueue,
            ["TASKER_DONE_QUEUE"] = tasker.Options.Messaging.DoneQueue,
        };
        await using var submit = TaskerProcess.Start(broker, "submit", "--code", code, "--data", data, "--task-id", "cancel-cli-1", "--wait", "--timeout", "90");
        await WaitForStdoutAsync(tasker, "cli partial");

        await using var cancel = TaskerProcess.Start(broker, "cancel", "cancel-cli-1");
        Assert.Equal(0, await cancel.WaitForExitAsync(Limit));

        Assert.Equal(1, await submit.WaitForExitAsync(Limit));
        var json = submit.Output[submit.Output.IndexOf('{', StringComparison.Ordinal)..];
        var done = JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.DoneMessage)!;
        Assert.Equal(TaskStates.Error, done.State);
        Assert.Equal(Reasons.Cancelled, done.Reason);
    }

    /// <summary>Waits until the running code wrote <paramref name="text"/> (read through the engine, as collection does).</summary>
    private async Task WaitForStdoutAsync(InProcessTasker tasker, string text) =>
        await tasker.WaitUntilAsync(async () =>
        {
            var running = (await tasker.ContainersAsync(fixture)).FirstOrDefault(c => c.State == "running");
            if (running is null)
            {
                return false;
            }

            var stdout = await DockerCli.TryRunAsync(null, ["exec", "-u", "0:0", running.ID, "cat", "/run/tasker/stdout.txt"], TimeSpan.FromSeconds(10), CancellationToken.None);
            return stdout?.Contains(text, StringComparison.Ordinal) == true;
        }, Limit, "the code's first output");
}
