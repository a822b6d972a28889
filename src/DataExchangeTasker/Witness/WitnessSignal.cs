using DataExchangeTasker.Governance;

namespace DataExchangeTasker.Witness;

/// <summary>
/// What reaches the witness's ledger loop, in order: resolved opens and "events lost" from the reader thread,
/// fences the reader posts once everything queued before a request is through, and the tasks' own
/// watch/mount/unwatch steps.
/// </summary>
internal abstract record WitnessSignal
{
    private WitnessSignal()
    {
    }

    /// <summary>An open of marked data.</summary>
    public sealed record Opened(WitnessedOpen Open) : WitnessSignal;

    /// <summary>The kernel's queue overflowed (or the reader failed): events were dropped.</summary>
    public sealed record Lost : WitnessSignal;

    /// <summary>Every event queued before the request that made this fence has been applied when it is reached.</summary>
    public sealed record Fence(TaskCompletionSource Passed) : WitnessSignal;

    /// <summary>Start attributing opens to a task.</summary>
    public sealed record Watch(WatchedTask Task) : WitnessSignal;

    /// <summary>The mount a task's data arrives through.</summary>
    public sealed record MountFound(WatchedTask Task, ulong MountId) : WitnessSignal;

    /// <summary>Stop watching a task and hand over what was seen (standing in for the trace when <paramref name="StandsIn"/>).</summary>
    public sealed record Unwatch(WatchedTask Task, bool StandsIn, TaskCompletionSource<WitnessSummary> Summary) : WitnessSignal;
}
