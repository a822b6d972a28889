namespace DataExchangeTasker.Governance.Approvals;

/// <summary>Whether a code hash may run, and if not, a sentence a person can act on.</summary>
internal sealed record ApprovalDecision(bool Approved, string? Message)
{
    /// <summary>The hash is listed.</summary>
    public static ApprovalDecision Yes { get; } = new(true, null);
}
