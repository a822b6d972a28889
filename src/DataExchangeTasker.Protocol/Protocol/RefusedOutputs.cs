namespace DataExchangeTasker.Protocol;

/// <summary>The entries of <c>/tmp/out</c> that were not stored: how many, and the first of them.</summary>
/// <param name="Count">Every entry not stored (folders included).</param>
/// <param name="Entries">The first <see cref="MaxEntries"/> of them, in archive order.</param>
public sealed record RefusedOutputs(int Count, IReadOnlyList<RefusedOutput> Entries)
{
    /// <summary>Entries listed at most; the rest are only counted (and named in the tasker's log).</summary>
    public const int MaxEntries = 100;

    /// <summary>Nothing refused.</summary>
    public static RefusedOutputs None { get; } = new(0, []);
}
