namespace DataExchangeTasker.Api.Quotas;

/// <summary>
/// Requests per minute are counted in the shared store per client and calendar minute (a fixed window), so the limit
/// holds across every api process on that store; a burst at a minute's end and the next one's start can reach twice
/// the limit within 60 s, the usual price of fixed windows.
/// </summary>
internal static class RateWindow
{
    private const long MinuteMs = 60_000;

    /// <summary>Start of the minute <paramref name="nowMs"/> falls in.</summary>
    public static long Start(long nowMs) => nowMs - (nowMs % MinuteMs);

    /// <summary>Whole seconds until the next window opens (at least 1), for <c>Retry-After</c>.</summary>
    public static int RetryAfterSeconds(long nowMs) => (int)Math.Max(1, (Start(nowMs) + MinuteMs - nowMs + 999) / 1000);
}
