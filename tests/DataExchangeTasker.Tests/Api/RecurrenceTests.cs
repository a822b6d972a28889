using DataExchangeTasker.Api.Schedules;

namespace DataExchangeTasker.Tests.Api;

public sealed class RecurrenceTests
{
    [Theory]
    [InlineData("every 30 seconds", 30)]
    [InlineData("every 1 second", 1)]
    [InlineData("every 2 minutes", 120)]
    [InlineData("  every 1 hour ", 3600)]
    public void ParseEvery_Period_ReturnsSeconds(string text, long seconds) => Assert.Equal(seconds, Recurrence.ParseEvery(text)!.EverySeconds);

    [Theory]
    [InlineData("every 0 seconds")]
    [InlineData("every -1 seconds")]
    [InlineData("every 2 fortnights")]
    [InlineData("30 seconds")]
    [InlineData("every 1.5 seconds")]
    [InlineData("every 100000 hours")]
    [InlineData("")]
    public void ParseEvery_AnythingElse_ReturnsNull(string text) => Assert.Null(Recurrence.ParseEvery(text));

    [Fact]
    public void ParseCron_FiveFields_NextIsTheNextMatchingMinute()
    {
        var cron = Recurrence.ParseCron("*/5 * * * *")!;
        var at = new DateTimeOffset(2026, 1, 1, 10, 2, 30, TimeSpan.Zero).ToUnixTimeMilliseconds();
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 10, 5, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), cron.NextAfter(at));
    }

    [Theory]
    [InlineData("* * *")]
    [InlineData("61 * * * *")]
    [InlineData("not a cron")]
    public void ParseCron_Invalid_ReturnsNull(string text) => Assert.Null(Recurrence.ParseCron(text));

    [Fact]
    public void NextPeriod_AfterAnOutage_SkipsMissedPeriodsAndStaysOnTheGrid()
    {
        var every = Recurrence.ParseEvery("every 2 seconds")!;
        Assert.Equal(12_000, every.NextPeriod(0, 11_500));
        Assert.Equal(2_000, every.NextPeriod(0, 1_000));
    }
}
