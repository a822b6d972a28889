namespace DataExchangeTasker.Api.Store;

/// <summary>What <see cref="ITaskStore.FireScheduleAsync"/> did with a claimed period.</summary>
/// <param name="Fired">True when the period was taken (run or skipped); false when another process had it.</param>
/// <param name="SkipReason">Null when the run was stored to be published, else why it was skipped (<see cref="SkipReasons"/>).</param>
internal sealed record FireOutcome(bool Fired, string? SkipReason);
