namespace DataExchangeTasker.Protocol;

/// <summary>Which streams were longer than the output limit and were cut.</summary>
public sealed record TruncatedStreams(bool Stdout, bool Stderr, bool Strace)
{
    /// <summary>Nothing was cut.</summary>
    public static TruncatedStreams None { get; } = new(false, false, false);
}
