namespace DataExchangeTasker.Api.Store;

/// <summary>What <see cref="ITaskStore.SubmitAsync"/> did.</summary>
internal enum SubmitOutcome
{
    /// <summary>The task was stored.</summary>
    Created,

    /// <summary>A task with that id exists; nothing was stored.</summary>
    Exists,

    /// <summary>The client has as many unfinished tasks as its tier allows; nothing was stored.</summary>
    OverConcurrency,

    /// <summary>The request was over the client's requests of the minute (it was counted); nothing was stored.</summary>
    OverRate,
}

/// <summary>Count the submit as one of the client's requests in the minute starting at <paramref name="WindowStart"/>, at most <paramref name="Limit"/>.</summary>
internal sealed record RateCheck(long WindowStart, long Limit);
