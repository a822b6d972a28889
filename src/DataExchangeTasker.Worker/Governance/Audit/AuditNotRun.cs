namespace DataExchangeTasker.Governance.Audit;

/// <summary>An answer that carries no receipt: the task was rejected, or failed before its code ran.</summary>
/// <param name="State">The done message's state.</param>
/// <param name="Reason">The done message's reason.</param>
/// <param name="OutputSha256">SHA-256 (hex) of the done message's <c>output</c> sentence in UTF-8.</param>
public sealed record AuditNotRun(string State, string? Reason, string OutputSha256);
