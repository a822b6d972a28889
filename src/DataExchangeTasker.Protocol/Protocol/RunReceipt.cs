using System.Text.Json.Serialization;

namespace DataExchangeTasker.Protocol;

/// <summary>
/// What the node attests about one run, signed with its Ed25519 key (<c>ReceiptSigner</c>) over the
/// canonical bytes of <see cref="ReceiptJson"/>. Every hash is lower-case hex SHA-256. Member order is the
/// canonical order: add new members only at the end, with a new <see cref="Version"/>.
/// </summary>
/// <param name="Version">Receipt format version: 1, or 2 (which adds <see cref="Witness"/>).</param>
/// <param name="TaskId">The start message's taskId.</param>
/// <param name="TaskerId">The node's <c>TASKER_ID</c>.</param>
/// <param name="TaskerVersion">The tasker's version.</param>
/// <param name="StartMessageSha256">SHA-256 of the start message body exactly as received.</param>
/// <param name="CodeHash">The code's content hash (<c>tasker hash</c>) of the bytes the container ran.</param>
/// <param name="RunnerImageId">The engine's id of the runner image (<c>sha256:…</c>).</param>
/// <param name="Data">The data the task was given: resolved host path and fingerprint.</param>
/// <param name="Limits">The limits the task ran under.</param>
/// <param name="ContainerSpecSha256">SHA-256 of the container create request as sent to the engine.</param>
/// <param name="StartedAt">When the container started.</param>
/// <param name="FinishedAt">When the container exited.</param>
/// <param name="State">The done message's state.</param>
/// <param name="Reason">The done message's reason; null on success.</param>
/// <param name="ExitCode">The code's exit status, when it exited on its own.</param>
/// <param name="Stdout">The whole of stdout (not just what the done message carries).</param>
/// <param name="Stderr">The whole of stderr.</param>
/// <param name="Trace">The whole syscall trace.</param>
/// <param name="TraceSummarySha256">SHA-256 of the canonical JSON of the done message's <c>traceSummary</c>; null when none.</param>
/// <param name="OutputFiles">Each file the code left in <c>/tmp/out</c>, as stored on the node.</param>
public sealed record RunReceipt(
    int Version,
    string TaskId,
    string TaskerId,
    string TaskerVersion,
    string StartMessageSha256,
    string CodeHash,
    string RunnerImageId,
    DataFingerprint Data,
    ReceiptLimits Limits,
    string ContainerSpecSha256,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string State,
    string? Reason,
    long? ExitCode,
    StreamDigest Stdout,
    StreamDigest Stderr,
    StreamDigest Trace,
    string? TraceSummarySha256,
    IReadOnlyList<OutputFileDigest> OutputFiles)
{
    /// <summary>The receipt format this tasker writes.</summary>
    public const int CurrentVersion = 2;

    /// <summary>The first format, without <see cref="Witness"/>; still verified.</summary>
    public const int FirstVersion = 1;

    /// <summary>
    /// Version 2: which witness watched the run and the SHA-256 of what it reported (<c>traceSummary.witness</c>).
    /// Absent (not null) in a version 1 receipt, so its canonical bytes stay what was signed.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ReceiptWitness? Witness { get; init; }
}
