namespace DataExchangeTasker.Api.Store;

/// <summary>What <see cref="ITaskStore.SubmitAsync"/> did.</summary>
public enum SubmitOutcome
{
    /// <summary>The task was stored.</summary>
    Created,

    /// <summary>A task with that id exists; nothing was stored.</summary>
    Exists,

    /// <summary>The client has as many unfinished tasks as its tier allows; nothing was stored.</summary>
    OverConcurrency,
}
