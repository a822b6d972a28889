namespace DataExchangeTasker.Protocol;

/// <summary>
/// Limits a start message may ask for. Each may only lower the tasker's configured maximum;
/// a higher value rejects the task with reason <c>invalid_message</c>.
/// </summary>
public sealed record TaskLimits(
    int? TimeoutSeconds = null,
    long? MemoryBytes = null,
    double? Cpus = null,
    int? Pids = null);
