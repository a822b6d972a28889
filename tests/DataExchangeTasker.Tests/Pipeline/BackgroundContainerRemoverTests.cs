using DataExchangeTasker.Pipeline;
using DataExchangeTasker.Sandbox.Claims;
using DataExchangeTasker.Sandbox.Run;
using DataExchangeTasker.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using Serilog.Core;

namespace DataExchangeTasker.Tests.Pipeline;

public sealed class BackgroundContainerRemoverTests
{
    [Fact]
    public async Task RemoveAsync_InnerRemovalHangs_ReturnsAtOnceAndTheDeadlineReleasesTheClaim()
    {
        var log = new EventLog();
        var hang = new TaskCompletionSource();
        var inner = new RecordingContainerRemover(log) { Hang = hang.Task };
        var remover = new BackgroundContainerRemover(inner, Logger.None) { Deadline = TimeSpan.FromMilliseconds(200) };
        var active = new ClaimedContainers();
        using var abort = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var running = remover.RunAsync(abort.Token);
        var claim = await active.ClaimAsync("tasker-a", CancellationToken.None);

        var removal = remover.RemoveAsync(new TaskKey("tasker-a"), claim, CancellationToken.None);

        Assert.True(removal.IsCompleted, "queueing a removal never waits for the engine");
        var next = await active.ClaimAsync("tasker-a", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        next?.Dispose();
        remover.Complete();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["remove tasker-a"], log.Events);
    }

    [Fact]
    public async Task RunAsync_Completed_RemovesWhatWasQueuedThenEnds()
    {
        var log = new EventLog();
        var remover = new BackgroundContainerRemover(new RecordingContainerRemover(log), Logger.None);
        await remover.RemoveAsync(new TaskKey("tasker-a"), null, CancellationToken.None);
        await remover.RemoveAsync(new TaskKey("tasker-b"), null, CancellationToken.None);
        remover.Complete();

        await remover.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["remove tasker-a", "remove tasker-b"], log.Events);
    }

    [Fact]
    public async Task RunAsync_StartInFlight_RemovesOnlyOnceTheStartReturned()
    {
        var log = new EventLog();
        var time = new FakeTimeProvider();
        var starts = new ContainerStarts();
        var remover = new BackgroundContainerRemover(new RecordingContainerRemover(log), Logger.None)
        {
            YieldTo = starts,
            Settle = TimeSpan.Zero,
            YieldLimit = TimeSpan.FromHours(1),
            Time = time,
        };
        var running = remover.RunAsync(CancellationToken.None);
        var nextStart = starts.Begin();
        await remover.RemoveAsync(new TaskKey("tasker-a"), null, CancellationToken.None);

        // A window for a removal that must not happen (nothing can signal a wait that works): a remover that does
        // not yield removes within microseconds; this one waits on the start (and a fake clock that never moves).
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.Empty(log.Events);
        log.Add("start returned");
        nextStart.Dispose();
        remover.Complete();

        await running.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["start returned", "remove tasker-a"], log.Events);
    }

    [Fact]
    public async Task RunAsync_BacklogWhileStartsNeverPause_AllGoWithinOneYieldLimitOfTheirQueueing()
    {
        var log = new EventLog();
        var time = new FakeTimeProvider();
        var starts = new ContainerStarts();
        using var stuck = starts.Begin();
        var limit = TimeSpan.FromSeconds(2);
        var remover = new BackgroundContainerRemover(new RecordingContainerRemover(log), Logger.None)
        {
            YieldTo = starts,
            Settle = TimeSpan.FromMilliseconds(50),
            YieldLimit = limit,
            Time = time,
        };
        foreach (var name in new[] { "tasker-a", "tasker-b", "tasker-c" })
        {
            await remover.RemoveAsync(new TaskKey(name), null, CancellationToken.None);
        }

        remover.Complete();
        var running = remover.RunAsync(CancellationToken.None);
        var started = time.GetTimestamp();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!running.IsCompleted && !deadline.IsCancellationRequested)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Yield();
        }

        await running.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["remove tasker-a", "remove tasker-b", "remove tasker-c"], log.Events);
        // One limit for the three (queued together), not one each.
        Assert.InRange(time.GetElapsedTime(started), limit, limit + TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task RunAsync_StartsNeverPause_RemovesAfterTheYieldLimit()
    {
        var log = new EventLog();
        var time = new FakeTimeProvider();
        var starts = new ContainerStarts();
        using var stuck = starts.Begin();
        var remover = new BackgroundContainerRemover(new RecordingContainerRemover(log), Logger.None)
        {
            YieldTo = starts,
            Settle = TimeSpan.FromMilliseconds(50),
            YieldLimit = TimeSpan.FromSeconds(2),
            Time = time,
        };
        await remover.RemoveAsync(new TaskKey("tasker-a"), null, CancellationToken.None);
        remover.Complete();
        var running = remover.RunAsync(CancellationToken.None);

        // Advanced step by step: each wait's timer exists only once the loop reached it.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!running.IsCompleted && !deadline.IsCancellationRequested)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Yield();
        }

        await running.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["remove tasker-a"], log.Events);
        Assert.False(starts.WhenNoneAsync(TimeSpan.FromHours(1), new FakeTimeProvider(), CancellationToken.None).IsCompleted, "the start is still in flight");
    }
}
