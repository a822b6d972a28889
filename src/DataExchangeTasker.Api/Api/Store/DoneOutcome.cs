namespace DataExchangeTasker.Api.Store;

/// <summary>What <see cref="ITaskStore.RecordDoneAsync"/> did with a done message.</summary>
internal enum DoneOutcome
{
    /// <summary>Stored: the task's result, or (a different second message) counted in its doneCount.</summary>
    Stored,

    /// <summary>This exact message was stored before.</summary>
    Duplicate,

    /// <summary>No task of this store has that taskId: nothing was stored.</summary>
    Unknown,
}
