using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Witness;

/// <summary>
/// What a task asks of the witness's reader loop, through its channel. The loop applies requests between reading
/// events and booking them, so a task's watch is in place before any event its container caused is booked.
/// </summary>
internal abstract record WitnessRequest
{
    private WitnessRequest()
    {
    }

    /// <summary>Start attributing opens to a task (posted before its container starts).</summary>
    public sealed record Watch(WatchedTask Task) : WitnessRequest;

    /// <summary>The mount a task's data arrives through.</summary>
    public sealed record MountFound(WatchedTask Task, ulong MountId) : WitnessRequest;

    /// <summary>Completes once every event the kernel queued before the request has been booked.</summary>
    public sealed record Fence(TaskCompletionSource Passed) : WitnessRequest;

    /// <summary>Stop watching a task and hand over what was seen (standing in for the trace when <paramref name="StandsIn"/>).</summary>
    public sealed record Unwatch(WatchedTask Task, bool StandsIn, TaskCompletionSource<WitnessSummary> Summary) : WitnessRequest;
}
