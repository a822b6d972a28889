namespace DataExchangeTasker.Witness;

/// <summary>
/// Pins each witnessed open on the task whose container made it, and nothing else: by the mount the open went
/// through (each task's data mount is its own, so this holds after the process is gone), else by the cgroup of the
/// process (read while it still existed), else, when neither is known, on every task on that data whose own mount
/// is not known yet (over-report, never under-report; counted in <see cref="Governance.WitnessSummary.Unattributed"/>).
/// An open through a mount no running task of this tasker owns (the host's, another engine client's container,
/// a task that already ended) is not any task's. Single-threaded: only the witness's loop calls it.
/// </summary>
internal sealed class WitnessLedger
{
    /// <summary>Mount ids of ended tasks remembered, so their late events are recognised and dropped.</summary>
    private const int RetiredMountsKept = 4096;

    private readonly Dictionary<string, WatchedTask> _byContainer = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, WatchedTask> _byMount = [];
    private readonly HashSet<ulong> _retired = [];
    private readonly Queue<ulong> _retiredOrder = new();

    /// <summary>Tasks being watched.</summary>
    public int Count => _byContainer.Count;

    /// <summary>Starts attributing opens to <paramref name="task"/> (before its container starts).</summary>
    public void Watch(WatchedTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        _byContainer[task.ContainerId] = task;
    }

    /// <summary>The task's data arrives in its container through mount <paramref name="mountId"/>.</summary>
    public void MountFound(WatchedTask task, ulong mountId)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (_byContainer.TryGetValue(task.ContainerId, out var watched) && watched == task && task.MountId is null)
        {
            task.MountId = mountId;
            _byMount[mountId] = task;
        }
    }

    /// <summary>Stops watching <paramref name="task"/>; its mount's later events are nobody's.</summary>
    public void Unwatch(WatchedTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (!_byContainer.Remove(task.ContainerId) || task.MountId is not { } mount)
        {
            return;
        }

        _byMount.Remove(mount);
        if (_retired.Add(mount))
        {
            _retiredOrder.Enqueue(mount);
            if (_retiredOrder.Count > RetiredMountsKept)
            {
                _retired.Remove(_retiredOrder.Dequeue());
            }
        }
    }

    /// <summary>The kernel dropped events: every task watched now may have missed opens.</summary>
    public void EventsLost()
    {
        foreach (var task in _byContainer.Values)
        {
            task.LoseEvents();
        }
    }

    /// <summary>Attributes one open.</summary>
    public void Apply(WitnessedOpen open)
    {
        var task = _byMount.GetValueOrDefault(open.MountId);
        if (task is null && open.Opener is { Kind: OpenerKind.Container, ContainerId: { } container } && _byContainer.TryGetValue(container, out var byCgroup))
        {
            task = byCgroup;
            if (task.MountId is null && !_retired.Contains(open.MountId))
            {
                // The first open through the task's mount tells which mount that is (the engine lookup may still be under way).
                MountFound(task, open.MountId);
            }
        }

        if (task is not null)
        {
            if (open.Opener is { Kind: OpenerKind.Container, Root: true })
            {
                task.AddRuntimeOpen();
            }
            else
            {
                task.Add(open.Path);
            }

            return;
        }

        if (open.Opener.Kind != OpenerKind.Gone || _retired.Contains(open.MountId))
        {
            // A live process of no task of ours (the host, another client's container), or an ended task's late event.
            return;
        }

        foreach (var candidate in _byContainer.Values)
        {
            if (candidate.MountId is null && candidate.Covers(open.Path))
            {
                candidate.AddUnattributed(open.Path);
            }
        }
    }
}
