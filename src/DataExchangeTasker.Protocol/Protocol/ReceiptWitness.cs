namespace DataExchangeTasker.Protocol;

/// <summary>
/// A version 2 receipt's record of the witness outside the sandbox: its method (<c>fanotify</c> or <c>off</c>) and
/// the SHA-256 of the canonical JSON of the done message's <c>traceSummary.witness</c> (its list of data files, or
/// why there was none).
/// </summary>
public sealed record ReceiptWitness(string Method, string Sha256)
{
    /// <summary>The record of <paramref name="witness"/>.</summary>
    public static ReceiptWitness Of(WitnessSummary witness)
    {
        ArgumentNullException.ThrowIfNull(witness);
        return new ReceiptWitness(witness.Method, ReceiptJson.Sha256Of(witness));
    }
}
