using DataExchangeTasker.Pipeline;
using DataExchangeTasker.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using Serilog;

namespace DataExchangeTasker.Tests.Pipeline;

public sealed class IdleMemoryTrimTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task RunAsync_LastTaskLeftAndQuietTimePassed_GivesMemoryBackOnce()
    {
        var time = new FakeTimeProvider();
        var trim = new IdleMemoryTrim(new LoggerConfiguration().CreateLogger()) { Quiet = Quiet, Time = time };
        using var stop = new CancellationTokenSource();
        var running = trim.RunAsync(stop.Token);

        trim.Entered();
        trim.Entered();
        trim.Left();
        time.Advance(Quiet * 4);
        Assert.Equal(0, trim.Trims);
        trim.Left();
        await time.AdvanceUntilAsync(TimeSpan.FromMilliseconds(100), () => trim.Trims == 1);
        time.Advance(Quiet * 4);

        await stop.CancelAsync();
        await running;
        Assert.Equal(1, trim.Trims);
    }

    [Fact]
    public async Task RunAsync_TaskStartsWithinTheQuietTime_DoesNotTrimUntilItsOwnQuietTime()
    {
        var time = new FakeTimeProvider();
        var trim = new IdleMemoryTrim(new LoggerConfiguration().CreateLogger()) { Quiet = Quiet, Time = time };
        using var stop = new CancellationTokenSource();
        var running = trim.RunAsync(stop.Token);

        trim.Entered();
        trim.Left();
        // The next task starts before the quiet time is over (whether or not the loop began it): a busy tasker never
        // pays for a collection, however long the task runs.
        trim.Entered();
        for (var i = 0; i < 10; i++)
        {
            time.Advance(Quiet);
            await Task.Delay(10);
        }

        Assert.Equal(0, trim.Trims);
        trim.Left();
        await time.AdvanceUntilAsync(TimeSpan.FromMilliseconds(100), () => trim.Trims == 1);

        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task Ready_NothingRunning_GivesBackWhatStartingUpLeft()
    {
        var time = new FakeTimeProvider();
        var trim = new IdleMemoryTrim(new LoggerConfiguration().CreateLogger()) { Quiet = Quiet, Time = time };
        using var stop = new CancellationTokenSource();
        var running = trim.RunAsync(stop.Token);

        trim.Ready();
        await time.AdvanceUntilAsync(TimeSpan.FromMilliseconds(100), () => trim.Trims == 1);

        await stop.CancelAsync();
        await running;
    }
}
