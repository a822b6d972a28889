using DataExchangeTasker.Resilience;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Resilience;

public sealed class RetryPipelinesTests
{
    [Fact]
    public void Shapes_WaitingForTheBrokerOrIntake_AreUnboundedAndTheReplyAndEngineOnesBounded()
    {
        Assert.True(RetryPipelines.FirstBrokerConnect.IsUnbounded);
        Assert.True(RetryPipelines.ConfirmedPublish.IsUnbounded);
        Assert.True(RetryPipelines.Subscribe.IsUnbounded);
        Assert.Equal(10, RetryPipelines.ReplyPublish.MaxRetries);
        Assert.Equal(3, RetryPipelines.EngineCalls(3).MaxRetries);
    }

    [Fact]
    public async Task Build_ExponentialShape_DoublesTheDelayUpToTheCap()
    {
        var time = new ImmediateTimeProvider();
        var pipeline = RetryPipelines.Build(new RetryShape(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500), 5), _ => true, time: time);
        var attempts = 0;

        await Assert.ThrowsAsync<IOException>(async () => await pipeline.ExecuteAsync(_ =>
        {
            attempts++;
            throw new IOException("down");
        }, CancellationToken.None));

        Assert.Equal(6, attempts);
        Assert.Equal([100, 200, 400, 500, 500], time.Delays.Select(d => d.TotalMilliseconds));
    }

    [Fact]
    public async Task Build_FailsThenSucceeds_ReturnsTheResult()
    {
        var pipeline = RetryPipelines.Build(RetryPipelines.ConfirmedPublish.WithoutDelays(), e => e is IOException);
        var attempts = 0;

        var result = await pipeline.ExecuteAsync(_ => ++attempts < 4 ? throw new IOException("down") : ValueTask.FromResult("ok"), CancellationToken.None);

        Assert.Equal("ok", result);
        Assert.Equal(4, attempts);
    }

    [Fact]
    public async Task Build_ExceptionNotAccepted_IsNotRetried()
    {
        var pipeline = RetryPipelines.Build(RetryPipelines.ConfirmedPublish.WithoutDelays(), e => e is IOException);
        var attempts = 0;

        await Assert.ThrowsAsync<InvalidDataException>(async () => await pipeline.ExecuteAsync(_ =>
        {
            attempts++;
            throw new InvalidDataException("bug");
        }, CancellationToken.None));

        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task Build_UnboundedShape_StopsWhenCancelled()
    {
        var pipeline = RetryPipelines.Build(RetryPipelines.FirstBrokerConnect.WithoutDelays(), _ => true);
        using var cancel = new CancellationTokenSource();
        var attempts = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pipeline.ExecuteAsync(_ =>
        {
            if (++attempts == 50)
            {
                cancel.Cancel();
            }

            throw new IOException("down");
        }, cancel.Token));

        Assert.Equal(50, attempts);
    }
}
