using System.Text.Json.Serialization;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Governance.Audit;

/// <summary>
/// One line of the audit log (<see cref="AuditLog"/>): one start message answered, or a rotation header. Written
/// as the canonical JSON of <see cref="AuditJsonContext"/> followed by a newline.
/// </summary>
/// <param name="Seq">1 for the first line ever; each line adds one, across rotated files.</param>
/// <param name="At">When the line was written (UTC).</param>
/// <param name="TaskId">The task answered; null on a rotation header.</param>
/// <param name="Receipt">The run's receipt, for a task that ran.</param>
/// <param name="ReceiptSignature">The receipt's signature (base64), when the node signs.</param>
/// <param name="NotRun">For an answer without a receipt (rejected, or failed before its code ran).</param>
/// <param name="ContinuesFrom">On a rotation header: the file name the previous lines were moved to.</param>
/// <param name="Prev">SHA-256 (hex) of the previous line's bytes without its newline; 64 zeros on the very first line.</param>
/// <param name="Signature">
/// Ed25519 signature (base64) by the node's key over this entry's canonical JSON with <c>signature</c> null; null when
/// the node has no key. It makes rewriting the chain after an edit impossible without the key.
/// </param>
public sealed record AuditEntry(
    long Seq,
    DateTimeOffset At,
    string? TaskId,
    RunReceipt? Receipt,
    string? ReceiptSignature,
    AuditNotRun? NotRun,
    string? ContinuesFrom,
    string Prev,
    string? Signature)
{
    /// <summary>The <see cref="Prev"/> of the first line of a log that continues no other.</summary>
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>
    /// For a task whose container ran: the witness that watched it (<c>fanotify</c>) or <c>off</c>, also when the node
    /// signs no receipts. Absent on other lines (and on lines written before the witness existed, which verify as before).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Witness { get; init; }
}
