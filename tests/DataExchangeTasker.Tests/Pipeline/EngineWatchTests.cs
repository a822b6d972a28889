using DataExchangeTasker.Health;
using DataExchangeTasker.Pipeline;
using DataExchangeTasker.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using Serilog.Core;

namespace DataExchangeTasker.Tests.Pipeline;

/// <summary>The engine watch checks on the clock the composition root gives it, so a test moves time instead of waiting it out.</summary>
public sealed class EngineWatchTests : IDisposable
{
    private readonly FakeDockerEngine _docker = new();
    private readonly TaskMetrics _metrics = new();

    public void Dispose() => _metrics.Dispose();

    [Fact]
    public async Task RunAsync_IntervalPassesOnTheGivenClock_ChecksAgainEachTime()
    {
        // An hour between checks on a clock the test moves: a watch on the system clock would never ping.
        var time = new FakeTimeProvider();
        var health = new HealthState();
        var watch = new EngineWatch(_docker, "runner:test", health, _metrics, Logger.None) { Interval = TimeSpan.FromHours(1), Time = time };
        using var stopping = new CancellationTokenSource();
        var running = watch.RunAsync(stopping.Token);

        await time.AdvanceUntilAsync(TimeSpan.FromMinutes(30), () => Pings() >= 2);

        await stopping.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(time.GetUtcNow() - time.Start >= TimeSpan.FromHours(2), "a check came before its interval");
        Assert.True(health.IsUp(HealthState.Engine));
    }

    private int Pings() => _docker.Calls.Count(c => c == "ping");
}
