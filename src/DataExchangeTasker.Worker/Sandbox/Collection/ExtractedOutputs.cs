using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Sandbox.Collection;

/// <summary>What was stored of a task's <c>/tmp/out</c>.</summary>
/// <param name="Files">Stored regular files, in archive order.</param>
/// <param name="Truncated">Something was dropped: a cap was reached, or an entry was refused.</param>
/// <param name="Refused">The entries not stored and why (counted; the first <see cref="RefusedOutputs.MaxEntries"/> named).</param>
internal sealed record ExtractedOutputs(IReadOnlyList<OutputFile> Files, bool Truncated, RefusedOutputs Refused)
{
    /// <summary>Nothing to store: the code left <c>/tmp/out</c> empty.</summary>
    public static ExtractedOutputs Empty { get; } = new([], false, RefusedOutputs.None);
}
