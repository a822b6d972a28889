using DataExchangeTasker.Health;
using Microsoft.Extensions.Time.Testing;

namespace DataExchangeTasker.Tests.Health;

public sealed class HealthStateTests
{
    [Fact]
    public void Report_TaskersClock_StampsChangesAndUptimeWithIt()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero));
        var health = new HealthState(time);
        time.Advance(TimeSpan.FromMinutes(3));

        health.Report(HealthState.Broker, up: false, "refused");

        var broker = health.Snapshot()[HealthState.Broker];
        Assert.Equal(time.GetUtcNow(), broker.LastErrorAt);
        Assert.Equal(TimeSpan.FromMinutes(3), health.Uptime);
    }
}
