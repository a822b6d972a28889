namespace DataExchangeTasker.Api.Store;

/// <summary>Why a schedule's run was <see cref="ApiTaskStates.Skipped"/>, and why a task ended without an answer.</summary>
internal static class SkipReasons
{
    /// <summary>The client had as many unfinished tasks as its tier allows.</summary>
    public const string ConcurrencyLimit = "concurrency_limit";

    /// <summary>The client had used its tier's requests of the minute (a run counts as one).</summary>
    public const string RateLimit = "rate_limit";

    /// <summary>The client is disabled.</summary>
    public const string ClientDisabled = "client_disabled";

    /// <summary>Reason of a task marked <c>error</c> after its time limit and the grace passed without a done message.</summary>
    public const string NoAnswer = "no_answer";
}
