namespace DataExchangeTasker.Protocol;

/// <summary>
/// The one result of a start message, published to <c>tasker_done</c>. Fields of v0.1
/// (<c>taskId</c>, <c>state</c>, <c>output</c>, <c>containerOutput</c>) keep their meaning; the rest are v1 additions.
/// </summary>
/// <param name="TaskId">The start message's taskId.</param>
/// <param name="State">One of <see cref="TaskStates"/>.</param>
/// <param name="Output">Empty on success, otherwise a sentence a person can act on.</param>
/// <param name="ContainerOutput">Null when no container ran.</param>
/// <param name="ExitCode">The container's exit status, null when it did not run or never exited on its own.</param>
/// <param name="Reason">One of <see cref="Reasons"/>; null on success.</param>
/// <param name="DurationMs">Wall time from container start until exit (0 when nothing ran).</param>
public sealed record DoneMessage(
    string TaskId,
    string State,
    string Output,
    ContainerOutput? ContainerOutput,
    int? ExitCode,
    string? Reason,
    long DurationMs)
{
    /// <summary>Name of the signal that ended the code (e.g. <c>SIGKILL</c>), when one did.</summary>
    public string? Signal { get; init; }

    /// <summary>When the engine started the container (ISO 8601, UTC).</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the container exited (ISO 8601, UTC).</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>Peak memory use of the container as the engine reported it, when it did.</summary>
    public long? PeakMemoryBytes { get; init; }

    /// <summary>Which of <see cref="ContainerOutput"/>'s streams were cut at the output limit, and whether output files were dropped.</summary>
    public TruncatedStreams? Truncated { get; init; }

    /// <summary>
    /// The host folder (under <c>TASKER_RESULTS_ROOT</c>) holding the files the code wrote to <c>/tmp/out</c>;
    /// null when none was stored.
    /// </summary>
    public string? OutputFolder { get; init; }

    /// <summary>The files stored in <see cref="OutputFolder"/>; empty when the code wrote none, null when no container ran.</summary>
    public IReadOnlyList<OutputFile>? OutputFiles { get; init; }

    /// <summary>
    /// The entries of <c>/tmp/out</c> that were not stored, and why (beside <see cref="TruncatedStreams.Files"/>);
    /// null when no container ran.
    /// </summary>
    public RefusedOutputs? RefusedOutputs { get; init; }

    /// <summary>What the run did, summarised from its whole trace; null when no container ran.</summary>
    public TraceSummary? TraceSummary { get; init; }

    /// <summary>The node's signed statement about the run; null when no container ran or the node does not sign.</summary>
    public RunReceipt? Receipt { get; init; }

    /// <summary>Ed25519 signature (base64) of <see cref="Receipt"/>'s canonical JSON by the node's key.</summary>
    public string? ReceiptSignature { get; init; }

    /// <summary>A done message for a task that was not run.</summary>
    public static DoneMessage Rejected(string taskId, string reason, string output) =>
        new(taskId, TaskStates.Rejected, output, null, null, reason, 0);
}
