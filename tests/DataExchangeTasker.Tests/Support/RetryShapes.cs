using DataExchangeTasker.Resilience;

namespace DataExchangeTasker.Tests.Support;

/// <summary>Retry shapes for tests that count attempts, not wait them out.</summary>
internal static class RetryShapes
{
    /// <summary>The same shape without waiting.</summary>
    public static RetryShape WithoutDelays(this RetryShape shape) => shape with { FirstDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero };
}
