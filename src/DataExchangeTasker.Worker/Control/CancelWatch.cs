namespace DataExchangeTasker.Control;

/// <summary>A task's view of its cancel: <see cref="Requested"/> completes when a cancel arrives.</summary>
internal sealed class CancelWatch(Task requested, Action release) : IDisposable
{
    /// <summary>Completes when the task is cancelled.</summary>
    public Task Requested { get; } = requested;

    /// <summary>True once the task was cancelled.</summary>
    public bool IsRequested => Requested.IsCompleted;

    /// <inheritdoc />
    public void Dispose() => release();
}
