namespace DataExchangeTasker.Resilience;

/// <summary>
/// How one retry loop backs off: the first retry waits <see cref="FirstDelay"/>, each further one twice as long up to
/// <see cref="MaxDelay"/>; at most <see cref="MaxRetries"/> retries, or until cancelled when that is null.
/// </summary>
public sealed record RetryShape(TimeSpan FirstDelay, TimeSpan MaxDelay, int? MaxRetries)
{
    /// <summary>True when only cancellation ends the retries.</summary>
    public bool IsUnbounded => MaxRetries is null;
}
