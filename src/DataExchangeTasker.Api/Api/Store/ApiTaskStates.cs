namespace DataExchangeTasker.Api.Store;

/// <summary>A task's state as the api reports it.</summary>
internal static class ApiTaskStates
{
    /// <summary>Delayed: kept in the store until it is due.</summary>
    public const string Scheduled = "scheduled";

    /// <summary>Published to the todo queue (or being published).</summary>
    public const string Queued = "queued";

    /// <summary>A worker reported progress for it.</summary>
    public const string Running = "running";

    public const string Success = "success";

    public const string Error = "error";

    public const string Rejected = "rejected";

    /// <summary>A schedule's run that was not started: its client was over its tier's rate or concurrency.</summary>
    public const string Skipped = "skipped";

    /// <summary>Every state, for validating filters.</summary>
    public static IReadOnlyList<string> All { get; } = [Scheduled, Queued, Running, Success, Error, Rejected, Skipped];
}
