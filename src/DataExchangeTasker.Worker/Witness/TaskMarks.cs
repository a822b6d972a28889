namespace DataExchangeTasker.Witness;

/// <summary>The marks one task holds: taken by <see cref="MarkTable.Acquire"/> before its container starts, given back once.</summary>
internal sealed class TaskMarks(MarkTable table, IReadOnlyList<MarkedObject> objects, IReadOnlyList<string> failures)
{
    private int _released;

    /// <summary>The objects marked for the task.</summary>
    public IReadOnlyList<MarkedObject> Objects { get; } = objects;

    /// <summary>Objects that could not be marked (path and errno): reads of them would go unseen.</summary>
    public IReadOnlyList<string> Failures { get; } = failures;

    /// <summary>Gives the marks back (once; later calls do nothing).</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            table.Release(Objects);
        }
    }
}
