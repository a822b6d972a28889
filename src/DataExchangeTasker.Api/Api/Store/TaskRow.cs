using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Api.Store;

/// <summary>One task as the store keeps it (times are Unix milliseconds).</summary>
internal sealed record TaskRow
{
    /// <summary>Insertion order; the cursor of task lists.</summary>
    public long Seq { get; init; }

    /// <summary>The start message's taskId: unique on the broker (workers, done messages, cancels use it).</summary>
    public string TaskId { get; init; } = "";

    /// <summary>The id the client knows the task by: unique per client (its own taskId, or the generated one).</summary>
    public string? ClientTaskId { get; init; }

    /// <summary>The submitting client; null only for rows of stores from before version 2 (answers of unknown tasks).</summary>
    public string? ClientId { get; init; }

    public string? ScheduleId { get; init; }

    /// <summary>One of <see cref="ApiTaskStates"/>.</summary>
    public string State { get; init; } = ApiTaskStates.Queued;

    public string? CodePath { get; init; }

    public string? DataPath { get; init; }

    public string? CodeHash { get; init; }

    /// <summary>The limits object as submitted (JSON), or null.</summary>
    public string? LimitsJson { get; init; }

    /// <summary>The approved runner image the start message names, or null for the worker's default.</summary>
    public string? Image { get; init; }

    /// <summary>The task's time limit in ms (its own or the configured one): with the grace, how long an answer may take.</summary>
    public long? TimeLimitMs { get; init; }

    /// <summary>SHA-256 of the normalised submission: an idempotent resubmit must match it.</summary>
    public string? RequestDigest { get; init; }

    /// <summary>The state the submit answered with (queued or scheduled), repeated to an idempotent resubmit.</summary>
    public string? SubmitState { get; init; }

    public long CreatedAt { get; init; }

    /// <summary>When the start message is to be published.</summary>
    public long DueAt { get; init; }

    /// <summary>1 once the broker confirmed the start message.</summary>
    public long Published { get; init; }

    public long? PublishedAt { get; init; }

    /// <summary>
    /// Until when one process owns publishing it (only written on insert: a submit publishing inline leases it to
    /// itself, so the due-task publisher of another process leaves it alone unless this one dies before the confirm).
    /// </summary>
    public long LeaseUntil { get; init; }

    public long? StartedAt { get; init; }

    public long? FinishedAt { get; init; }

    public string? Reason { get; init; }

    public long? DurationMs { get; init; }

    public string? ProgressStep { get; init; }

    /// <summary>The first done message received for the task, as received.</summary>
    public string? DoneBody { get; init; }

    /// <summary>Distinct done messages received (more than one only when a task ran twice across hosts).</summary>
    public long DoneCount { get; init; }
}
