namespace DataExchangeTasker.Api.Store;

/// <summary>What the store keeps of one received done message.</summary>
/// <param name="TaskId">The message's taskId.</param>
/// <param name="Digest">SHA-256 (hex) of the body: with the taskId, what makes ingestion idempotent.</param>
/// <param name="State">success, error or rejected.</param>
/// <param name="Reason">The message's reason, if any.</param>
/// <param name="DurationMs">The message's durationMs, if any.</param>
/// <param name="StartedAt">The message's startedAt (Unix ms), if any.</param>
/// <param name="FinishedAt">The message's finishedAt, or the receive time.</param>
/// <param name="Body">The body as received (UTF-8 JSON).</param>
internal sealed record DoneRecord(string TaskId, string Digest, string State, string? Reason, long? DurationMs, long? StartedAt, long FinishedAt, string Body);
