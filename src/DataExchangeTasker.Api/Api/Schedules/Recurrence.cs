using System.Globalization;
using System.Text.RegularExpressions;
using Cronos;

namespace DataExchangeTasker.Api.Schedules;

/// <summary>When a schedule fires: a fixed period (<c>every 30 seconds</c>) or a cron expression (Cronos, UTC).</summary>
internal sealed partial class Recurrence
{
    private readonly long? _periodMs;
    private readonly CronExpression? _cron;

    private Recurrence(long? periodMs, CronExpression? cron)
    {
        _periodMs = periodMs;
        _cron = cron;
    }

    /// <summary>The period in seconds, for <c>every</c> schedules.</summary>
    public long? EverySeconds => _periodMs / 1000;

    /// <summary>What <c>every</c> accepts, for error messages.</summary>
    public const string EveryExpected = "every <n> seconds|minutes|hours, n a whole number from 1, e.g. \"every 30 seconds\"";

    /// <summary>What <c>cron</c> accepts, for error messages.</summary>
    public const string CronExpected = "a cron expression of 5 fields (minute hour day month weekday) or 6 with seconds first, e.g. \"*/5 * * * *\"";

    /// <summary><c>every 30 seconds</c>, <c>every 1 minute</c>, <c>every 2 hours</c>; null for anything else.</summary>
    public static Recurrence? ParseEvery(string text)
    {
        var match = EveryPattern().Match(text);
        if (!match.Success || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
        {
            return null;
        }

        var unit = match.Groups[2].Value switch
        {
            "second" or "seconds" => 1L,
            "minute" or "minutes" => 60L,
            _ => 3600L,
        };
        // At most a year: keeps the arithmetic far from overflow.
        return n * unit > 366L * 24 * 3600 ? null : new Recurrence(n * unit * 1000, null);
    }

    /// <summary>A cron expression (5 fields, or 6 with seconds); null when Cronos cannot parse it.</summary>
    public static Recurrence? ParseCron(string text)
    {
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is not (5 or 6))
        {
            return null;
        }

        try
        {
            return new Recurrence(null, CronExpression.Parse(text, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard));
        }
        catch (CronFormatException)
        {
            return null;
        }
    }

    /// <summary>The first firing strictly after <paramref name="afterMs"/> (Unix ms); null when a cron never fires again.</summary>
    public long? NextAfter(long afterMs)
    {
        if (_periodMs is { } period)
        {
            return afterMs + period;
        }

        var next = _cron!.GetNextOccurrence(DateTimeOffset.FromUnixTimeMilliseconds(afterMs).UtcDateTime, TimeZoneInfo.Utc, inclusive: false);
        return next is null ? null : new DateTimeOffset(next.Value).ToUnixTimeMilliseconds();
    }

    /// <summary>
    /// The period after the one that fired at <paramref name="firedAtMs"/>, skipping periods already past at
    /// <paramref name="nowMs"/> (after an outage a schedule fires once, not once per missed period).
    /// </summary>
    public long? NextPeriod(long firedAtMs, long nowMs)
    {
        var next = NextAfter(firedAtMs);
        if (next is { } n && n <= nowMs)
        {
            next = _periodMs is { } period ? n + ((nowMs - n) / period + 1) * period : NextAfter(nowMs);
        }

        return next;
    }

    [GeneratedRegex(@"^\s*every\s+(\d{1,9})\s+(seconds?|minutes?|hours?)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex EveryPattern();
}
