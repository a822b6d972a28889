namespace DataExchangeTasker.Governance.Audit;

/// <summary>The outcome of <see cref="AuditLogVerifier.Verify"/>.</summary>
/// <param name="Ok">True when every line holds.</param>
/// <param name="Failure">The first problem, naming the file and line; null when <see cref="Ok"/>.</param>
/// <param name="Lines">Lines that held.</param>
/// <param name="Head">SHA-256 of the last line that held (compare with a head recorded elsewhere).</param>
/// <param name="Notes">Things that are not failures: a torn tail, a log that continues a rotated one.</param>
public sealed record AuditVerification(bool Ok, string? Failure, int Lines, string? Head, IReadOnlyList<string> Notes)
{
    /// <summary>A failed verification.</summary>
    public static AuditVerification Failed(string failure, int lines, IReadOnlyList<string> notes) => new(false, failure, lines, null, notes);
}
