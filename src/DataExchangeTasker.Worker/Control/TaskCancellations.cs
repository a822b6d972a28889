namespace DataExchangeTasker.Control;

/// <summary>
/// Where cancels meet tasks: a received cancel is remembered (<see cref="CancelMemory"/>) and then signals the task
/// if it is in flight here. A task watches before it checks the memory, so a cancel arriving in between is seen.
/// </summary>
internal sealed class TaskCancellations(CancelMemory memory)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, TaskCompletionSource> _running = new(StringComparer.Ordinal);

    /// <summary>Records a cancel of <paramref name="taskId"/>; returns true when that task is in flight here.</summary>
    public bool Cancel(string taskId)
    {
        memory.Remember(taskId);
        lock (_gate)
        {
            if (_running.TryGetValue(taskId, out var signal))
            {
                signal.TrySetResult();
                return true;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="taskId"/> was cancelled (and the cancel is still remembered).</summary>
    public bool IsCancelled(string taskId) => memory.Contains(taskId);

    /// <summary>Watches <paramref name="taskId"/> while it is in flight; dispose when it is done.</summary>
    public CancelWatch Watch(string taskId)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _running[taskId] = signal;
        }

        return new CancelWatch(signal.Task, () =>
        {
            lock (_gate)
            {
                if (_running.TryGetValue(taskId, out var current) && current == signal)
                {
                    _running.Remove(taskId);
                }
            }
        });
    }
}
