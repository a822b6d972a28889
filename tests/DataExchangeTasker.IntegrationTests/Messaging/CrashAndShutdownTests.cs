using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Spec;

namespace DataExchangeTasker.IntegrationTests.Messaging;

/// <summary>The real binary killed or stopped with tasks in flight: nothing lost, nothing run twice, nothing left.</summary>
[Collection(RestartCollection.Name)]
public sealed class CrashAndShutdownTests(TaskerFixture fixture)
{
    [Fact]
    public async Task KillDashNine_WithTasksRunning_RestartAnswersEachTaskOnceWithoutRerunningOrLeaks()
    {
        var code = fixture.WriteCode("crash-sleeper", "import time, sys\nprint('begin', flush=True)\ntime.sleep(6)\nprint('end')\n");
        var data = fixture.WriteData("crash.txt", "x");
        var env = Environment("crash", concurrency: 3);
        await using var starts = DockerEvents.FollowStarts(env["TASKER_ID"]!);
        var ids = new[] { "crash-1", "crash-2", "crash-3" };

        await using (var first = TaskerProcess.Start(env, "run"))
        {
            await first.WaitForOutputAsync("Ready", TimeSpan.FromSeconds(60));
            await using var publisher = InProcessTasker.Client(fixture, TaskerFixture.QueuesOf(env));
            foreach (var id in ids)
            {
                await publisher.PublishAsync(new StartMessage(id, code, data));
            }

            await WaitForRunningContainersAsync(env, 3);
            await first.SignalAsync("KILL");
            await first.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }

        await using var second = TaskerProcess.Start(env, "run");
        await using var reader = InProcessTasker.Client(fixture, TaskerFixture.QueuesOf(env));
        var done = await reader.CollectResultsAsync(3, TimeSpan.FromSeconds(120));

        Assert.Equal(ids, done.Select(d => d.TaskId).Order(StringComparer.Ordinal));
        // On failure, the restarted tasker's log says what its supervisors reported (e.g. which code process outlived
        // strace): a one-in-many failure under load is only found from that.
        Assert.All(done, d => Assert.True(d.State == TaskStates.Success, $"{d.TaskId}: {d.State}/{d.Reason}: {d.Output}\n{second.Output}"));
        Assert.All(done, d => Assert.Equal("begin\nend\n", d.ContainerOutput!.Stdout));
        Assert.Contains("adopting it instead of running the code again", second.Output, StringComparison.Ordinal);

        // Each task's code ran exactly once: one container start per taskId across both processes.
        Assert.Equal(ids, (await starts.WaitForAsync(3, TimeSpan.FromSeconds(5))).Order(StringComparer.Ordinal));

        // Nothing left behind: no container, nothing in the work or results root beyond the kept state, no extra done
        // message, nothing unacked.
        await WaitForAsync(async () => (await ContainersAsync(env)).Count == 0, "the containers to be removed");
        var left = HostLeftovers.Find(env["TASKER_WORK_ROOT"]!, env["TASKER_RESULTS_ROOT"]!);
        Assert.True(left.Count == 0, "left on the host: " + string.Join(", ", left));
        Assert.Equal(0u, await fixture.Broker.MessageCountAsync(env["TASKER_DONE_QUEUE"]!));
        await second.SignalAsync("TERM");
        Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(0u, await fixture.Broker.MessageCountAsync(env["TASKER_TODO_QUEUE"]!));
    }

    [Fact]
    public async Task KillDashNine_RedeliveryArrivesAfterABacklogLongerThanTheGrace_AdoptsTheRunningContainerInsteadOfRunningAgain()
    {
        var code = fixture.WriteCode("late-redelivery", "import time\nprint('begin', flush=True)\ntime.sleep(5)\nprint('end')\n");
        var backlogCode = fixture.WriteCode("late-backlog", "import time\ntime.sleep(3)\nprint('backlog')\n");
        var data = fixture.WriteData("late-redelivery.txt", "x");
        var env = Environment("late", concurrency: 1);
        await using var starts = DockerEvents.FollowStarts(env["TASKER_ID"]!);
        await using var client = InProcessTasker.Client(fixture, TaskerFixture.QueuesOf(env));
        var todo = env["TASKER_TODO_QUEUE"]!;

        await using (var first = TaskerProcess.Start(env, "run"))
        {
            await first.WaitForOutputAsync("Ready", TimeSpan.FromSeconds(60));
            await client.PublishAsync(new StartMessage("late-1", code, data));
            await WaitForRunningContainersAsync(env, 1);
            await first.SignalAsync("KILL");
            await first.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }

        // The redelivery is held elsewhere (as a backlog ahead of it would) while the restarted tasker works through
        // two tasks taking longer than its 2 s grace.
        await using var holder = await new RabbitMQ.Client.ConnectionFactory { Uri = fixture.Broker.AmqpUri, AutomaticRecoveryEnabled = false }.CreateConnectionAsync();
        await using var held = await holder.CreateChannelAsync();
        RabbitMQ.Client.BasicGetResult? redelivery = null;
        await WaitForAsync(async () => (redelivery = await held.BasicGetAsync(todo, autoAck: false)) is not null, "the killed tasker's message to be back in the queue");
        Assert.True(redelivery!.Redelivered);
        await client.PublishAsync(new StartMessage("late-backlog-1", backlogCode, data));
        await client.PublishAsync(new StartMessage("late-backlog-2", backlogCode, data));
        await using var second = TaskerProcess.Start(env, "run");
        var backlog = await client.CollectResultsAsync(2, TimeSpan.FromSeconds(120));
        Assert.All(backlog, d => Assert.Equal("backlog\n", d.ContainerOutput!.Stdout));
        Assert.Contains(await ContainersAsync(env), c => c.Labels[ContainerLabels.TaskId] == "late-1");

        await held.BasicNackAsync(redelivery.DeliveryTag, multiple: false, requeue: true);
        var done = (await client.CollectResultsAsync(1, TimeSpan.FromSeconds(120)))[0];

        Assert.Equal("late-1", done.TaskId);
        Assert.Equal(TaskStates.Success, done.State);
        Assert.Equal("begin\nend\n", done.ContainerOutput!.Stdout);
        Assert.Contains("adopting it instead of running the code again", second.Output, StringComparison.Ordinal);
        Assert.Equal(["late-1", "late-backlog-1", "late-backlog-2"], (await starts.WaitForAsync(3, TimeSpan.FromSeconds(5))).Order(StringComparer.Ordinal));
        await StopLeavingNothingAsync(env, second);
    }

    [Fact]
    public async Task KillDashNine_RedeliveryAfterTheTimeLimitWhileResultsWait_CollectsThemInsteadOfLosingThem()
    {
        // The code ends on its own within its limit; the tasker dies before collecting; the redelivery comes after the
        // limit, while the supervisor still keeps the results (collect window): they are collected, not thrown away.
        var code = fixture.WriteCode("late-past-limit", "import time\ntime.sleep(2)\nprint('finished in time')\n");
        var data = fixture.WriteData("late-past-limit.txt", "x");
        var env = Environment("past-limit", concurrency: 1);
        env["TASKER_TASK_TIMEOUT"] = "6";
        await using var starts = DockerEvents.FollowStarts(env["TASKER_ID"]!);
        await using var client = InProcessTasker.Client(fixture, TaskerFixture.QueuesOf(env));

        await using (var first = TaskerProcess.Start(env, "run"))
        {
            await first.WaitForOutputAsync("Ready", TimeSpan.FromSeconds(60));
            await client.PublishAsync(new StartMessage("past-limit-1", code, data));
            await WaitForRunningContainersAsync(env, 1);
            await first.SignalAsync("KILL");
            await first.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }

        var deadline = DateTimeOffset.FromUnixTimeSeconds(long.Parse((await ContainersAsync(env)).Single().Labels[ContainerLabels.Deadline], System.Globalization.CultureInfo.InvariantCulture));
        await WaitForAsync(() => Task.FromResult(DateTimeOffset.UtcNow > deadline + TimeSpan.FromSeconds(1)), "the task's time limit to pass");
        await using var second = TaskerProcess.Start(env, "run");
        var done = (await client.CollectResultsAsync(1, TimeSpan.FromSeconds(90)))[0];

        Assert.Equal(TaskStates.Success, done.State);
        Assert.Equal("finished in time\n", done.ContainerOutput!.Stdout);
        Assert.Equal(["past-limit-1"], await starts.WaitForAsync(1, TimeSpan.FromSeconds(5)));
        await StopLeavingNothingAsync(env, second);
    }

    [Fact]
    public async Task Sigterm_WithTasksInFlight_DrainsThemAndExitsZero()
    {
        var code = fixture.WriteCode("drain-sleeper", "import time\ntime.sleep(3)\nprint('drained')\n");
        var data = fixture.WriteData("drain.txt", "x");
        var env = Environment("drain", concurrency: 2);
        await using var tasker = TaskerProcess.Start(env, "run");
        await tasker.WaitForOutputAsync("Ready", TimeSpan.FromSeconds(60));
        await using var client = InProcessTasker.Client(fixture, TaskerFixture.QueuesOf(env));

        await client.PublishAsync(new StartMessage("drain-1", code, data));
        await client.PublishAsync(new StartMessage("drain-2", code, data));
        await WaitForRunningContainersAsync(env, 2);
        await tasker.SignalAsync("TERM");

        Assert.Equal(0, await tasker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var done = await client.CollectResultsAsync(2, TimeSpan.FromSeconds(10));
        Assert.All(done, d => Assert.Equal("drained\n", d.ContainerOutput!.Stdout));
        Assert.Empty(await ContainersAsync(env));
    }

    [Fact]
    public async Task Sigterm_PastDrainTimeout_StopsContainerRequeuesMessageAndExitsZero()
    {
        var code = fixture.WriteCode("slow-sleeper", "import time\nprint('started', flush=True)\ntime.sleep(300)\n");
        var data = fixture.WriteData("slow.txt", "x");
        var env = Environment("drain-timeout", concurrency: 1);
        env["TASKER_DRAIN_TIMEOUT"] = "2";
        await using var tasker = TaskerProcess.Start(env, "run");
        await tasker.WaitForOutputAsync("Ready", TimeSpan.FromSeconds(60));
        await using var client = InProcessTasker.Client(fixture, TaskerFixture.QueuesOf(env));

        await client.PublishAsync(new StartMessage("slow-1", code, data));
        await WaitForRunningContainersAsync(env, 1);
        await tasker.SignalAsync("TERM");

        Assert.Equal(0, await tasker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(1u, await fixture.Broker.MessageCountAsync(env["TASKER_TODO_QUEUE"]!));
        Assert.Equal(0u, await fixture.Broker.MessageCountAsync(env["TASKER_DONE_QUEUE"]!));
        Assert.Empty(await ContainersAsync(env));
    }

    /// <summary>Waits until the tasker removed its answered tasks' containers, then stops it cleanly (a kill would leave them).</summary>
    private async Task StopLeavingNothingAsync(Dictionary<string, string?> env, TaskerProcess tasker)
    {
        await WaitForAsync(async () => (await ContainersAsync(env)).Count == 0, "the answered tasks' containers to be removed");
        await tasker.SignalAsync("TERM");
        Assert.Equal(0, await tasker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    private Dictionary<string, string?> Environment(string name, int concurrency)
    {
        var env = fixture.ProcessEnvironment(name);
        env["TASKER_CONCURRENCY"] = concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["TASKER_CLEANUP_GRACE"] = "2";
        return env;
    }

    private Task<IReadOnlyList<global::Docker.DotNet.Models.ContainerListResponse>> ContainersAsync(Dictionary<string, string?> env) =>
        fixture.Docker.ListContainersAsync(new Dictionary<string, string?> { [ContainerLabels.Owner] = env["TASKER_ID"] }, CancellationToken.None);

    private async Task WaitForRunningContainersAsync(Dictionary<string, string?> env, int count) =>
        await WaitForAsync(async () => (await ContainersAsync(env)).Count(c => c.State == "running") >= count, $"{count} running container(s)");

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Timed out waiting for " + what);
            await Task.Delay(100);
        }
    }
}
