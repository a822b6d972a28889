using DataExchangeTasker.Sandbox.Run;
using Microsoft.Extensions.Time.Testing;

namespace DataExchangeTasker.Tests.Sandbox.Run;

public sealed class ContainerStartsTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task WhenNoneAsync_NoStartInFlight_CompletesAtOnce()
    {
        var starts = new ContainerStarts();

        var waiting = starts.WhenNoneAsync(Limit, new FakeTimeProvider(), CancellationToken.None);

        Assert.True(waiting.IsCompleted);
        await waiting;
    }

    [Fact]
    public async Task WhenNoneAsync_StartsInFlight_CompletesWhenTheLastOneEnds()
    {
        var starts = new ContainerStarts();
        var first = starts.Begin();
        var second = starts.Begin();

        var waiting = starts.WhenNoneAsync(Limit, new FakeTimeProvider(), CancellationToken.None);
        first.Dispose();

        Assert.False(waiting.IsCompleted, "one start is still in flight");
        second.Dispose();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(starts.WhenNoneAsync(Limit, new FakeTimeProvider(), CancellationToken.None).IsCompleted, "no start is in flight");
    }

    [Fact]
    public async Task WhenNoneAsync_StartNeverEnds_CompletesAfterTheLimit()
    {
        var time = new FakeTimeProvider();
        var starts = new ContainerStarts();
        using var stuck = starts.Begin();

        var waiting = starts.WhenNoneAsync(Limit, time, CancellationToken.None);
        time.Advance(Limit - TimeSpan.FromMilliseconds(1));
        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));

        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(starts.WhenNoneAsync(Limit, new FakeTimeProvider(), CancellationToken.None).IsCompleted, "the start is still in flight");
    }

    [Fact]
    public async Task Begin_ScopeDisposedTwice_CountsItOnceAndANewStartWaitsAgain()
    {
        var starts = new ContainerStarts();
        var scope = starts.Begin();
        scope.Dispose();
        scope.Dispose();
        Assert.True(starts.WhenNoneAsync(Limit, new FakeTimeProvider(), CancellationToken.None).IsCompleted, "no start is in flight");

        using var next = starts.Begin();

        Assert.False(starts.WhenNoneAsync(Limit, new FakeTimeProvider(), CancellationToken.None).IsCompleted);
        await starts.WhenNoneAsync(TimeSpan.Zero, new FakeTimeProvider(), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
    }
}
