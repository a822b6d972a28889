namespace DataExchangeTasker.Governance.Receipts;

/// <summary>The outcome of <see cref="ReceiptVerifier.Verify"/>.</summary>
/// <param name="Failures">What does not hold; empty when the receipt verifies.</param>
/// <param name="Checked">What was checked and held.</param>
/// <param name="NotChecked">What could not be checked (truncated text, unreadable output folder, ...).</param>
public sealed record ReceiptVerification(IReadOnlyList<string> Failures, IReadOnlyList<string> Checked, IReadOnlyList<string> NotChecked)
{
    /// <summary>True when the signature and every hash that could be checked hold.</summary>
    public bool Ok => Failures.Count == 0;
}
