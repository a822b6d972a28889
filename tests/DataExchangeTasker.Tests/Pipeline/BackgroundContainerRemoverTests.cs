using DataExchangeTasker.Pipeline;
using DataExchangeTasker.Sandbox.Claims;
using DataExchangeTasker.Tests.Support;
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
}
