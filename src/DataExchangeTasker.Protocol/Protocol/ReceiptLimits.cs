namespace DataExchangeTasker.Protocol;

/// <summary>The limits a run had (the configured maxima, lowered where the start message asked).</summary>
public sealed record ReceiptLimits(long TimeoutSeconds, long MemoryBytes, double Cpus, int Pids);
