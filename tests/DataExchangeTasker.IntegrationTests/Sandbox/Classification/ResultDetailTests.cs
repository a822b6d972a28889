using DataExchangeTasker.Configuration;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.IntegrationTests.Sandbox.Classification;

/// <summary>The done message tells exactly what happened: signals, trace filters, resource figures.</summary>
[Collection(SandboxCollection.Name)]
public sealed class ResultDetailTests(TaskerFixture fixture)
{
    [Fact]
    public async Task Run_CodeKilledBySegfault_EndsErrorSignalNamingIt()
    {
        var code = fixture.WriteCode("segv", "import os, signal, sys\nprint('before', flush=True)\nos.kill(os.getpid(), signal.SIGSEGV)\n");
        var data = fixture.WriteData("segv.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage("segv-1", code, data));

        Assert.Equal(TaskStates.Error, done.State);
        Assert.Equal(Reasons.Signal, done.Reason);
        Assert.Equal("SIGSEGV", done.Signal);
        Assert.Equal(139, done.ExitCode);
        Assert.Equal("before\n", done.ContainerOutput!.Stdout);
        Assert.Contains("SIGSEGV", done.ContainerOutput.Strace, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_StraceFilterAll_TracesMemorySyscallsTheDefaultFilterLeavesOut()
    {
        var code = fixture.WriteCode("trace-all", "print('x')\n");
        var data = fixture.WriteData("trace-all.txt", "x");
        await using var filtered = await InProcessTasker.StartAsync(fixture);
        var narrow = await filtered.RunAsync(new StartMessage("trace-default", code, data));
        await filtered.StopAsync();
        await using var full = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?> { [Settings.StraceFilter.Name] = "all" });

        var wide = await full.RunAsync(new StartMessage("trace-all", code, data));

        Assert.DoesNotContain("mmap(", narrow.ContainerOutput!.Strace, StringComparison.Ordinal);
        Assert.Contains("mmap(", wide.ContainerOutput!.Strace, StringComparison.Ordinal);
        // strace -y names the file behind the fd: the code's stdout is the supervisor's file.
        Assert.Contains("write(1</run/tasker/stdout.txt>, ", wide.ContainerOutput.Strace, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MessageAsksForLowerLimits_TheyApplyAndHigherOnesAreRejected()
    {
        var code = fixture.WriteCode("limits", "print(open('/sys/fs/cgroup/pids/pids.max').read().strip() if __import__('os').path.exists('/sys/fs/cgroup/pids/pids.max') else open('/sys/fs/cgroup/pids.max').read().strip())\n");
        var data = fixture.WriteData("limits.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var lower = await tasker.RunAsync(new StartMessage("limits-low", code, data, Limits: new TaskLimits(Pids: 40)));
        var higher = await tasker.RunAsync(new StartMessage("limits-high", code, data, Limits: new TaskLimits(TimeoutSeconds: 999_999)));

        Assert.Equal("40\n", lower.ContainerOutput!.Stdout);
        Assert.Equal(TaskStates.Rejected, higher.State);
        Assert.Equal(Reasons.InvalidMessage, higher.Reason);
        Assert.Contains("limits.timeoutSeconds 999999", higher.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_AnyTask_ReportsTimesAndPeakMemory()
    {
        var code = fixture.WriteCode("figures", "import time\nx = bytearray(64 * 1024 * 1024)\ntime.sleep(2.5)\nprint(len(x))\n");
        var data = fixture.WriteData("figures.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var done = await tasker.RunAsync(new StartMessage("figures-1", code, data));

        Assert.Equal(TaskStates.Success, done.State);
        Assert.InRange(done.DurationMs, 2500, 60_000);
        Assert.Equal(done.DurationMs, (long)(done.FinishedAt!.Value - done.StartedAt!.Value).TotalMilliseconds, tolerance: 1);
        // The engine's stats stream samples about once a second; a 2.5 s run holding 64 MiB is seen.
        Assert.NotNull(done.PeakMemoryBytes);
        Assert.True(done.PeakMemoryBytes >= 64L * 1024 * 1024, $"peak {done.PeakMemoryBytes} bytes");
    }
}
