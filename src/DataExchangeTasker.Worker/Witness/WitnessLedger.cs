namespace DataExchangeTasker.Witness;

/// <summary>
/// Pins each witnessed open on the task whose container made it, and nothing else: by the mount the open went
/// through (each task's data mount is its own, so this holds after the process is gone), else by the cgroup of the
/// process (read while it still existed). An open by a process already gone, through a mount not known yet, waits:
/// the mount is usually found moments later (then the open is that task's); a task whose mount is known when it
/// ends is not its owner; a task whose mount could not be found gets it, counted in
/// <see cref="Protocol.WitnessSummary.Unattributed"/> (over-report, never under-report). An open through a mount
/// no running task of this tasker owns (the host's, another engine client's container, a task that already ended)
/// is not any task's. Single-threaded: only the witness's loop calls it.
/// </summary>
internal sealed class WitnessLedger
{
    /// <summary>Mount ids of ended tasks remembered, so their late events are recognised and dropped.</summary>
    private const int RetiredMountsKept = 4096;

    private readonly Dictionary<string, WatchedTask> _byContainer = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, WatchedTask> _byMount = [];
    private readonly HashSet<ulong> _retired = [];
    private readonly Queue<ulong> _retiredOrder = new();
    private readonly Dictionary<ulong, List<PendingOpen>> _pending = [];
    private int _pendingCount;

    /// <summary>Opens waiting for their mount to be found; past this, a new one is counted at once for every candidate.</summary>
    public const int MaxPending = 100_000;

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
            if (_pending.Remove(mountId, out var waiting))
            {
                _pendingCount -= waiting.Count;
                foreach (var open in waiting)
                {
                    task.Add(open.Path);
                }
            }
        }
    }

    /// <summary>
    /// Stops watching <paramref name="task"/> (after its own mount lookup ended); its mount's later events are
    /// nobody's. Waiting opens it could own are counted for it only when its mount stayed unknown.
    /// </summary>
    public void Unwatch(WatchedTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (!_byContainer.Remove(task.ContainerId))
        {
            return;
        }

        SettlePending(task);
        if (task.MountId is not { } mount)
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

        var candidates = _byContainer.Values.Where(t => t.MountId is null && t.Covers(open.Path)).ToList();
        if (candidates.Count == 0)
        {
            // Every task on this data is known to use another mount: the open was not made in any of their containers.
            return;
        }

        if (_pendingCount >= MaxPending)
        {
            foreach (var candidate in candidates)
            {
                candidate.AddUnattributed(open.Path);
            }

            return;
        }

        if (!_pending.TryGetValue(open.MountId, out var waiting))
        {
            _pending[open.MountId] = waiting = [];
        }

        waiting.Add(new PendingOpen(open.Path, candidates));
        _pendingCount++;
    }

    /// <summary>Takes <paramref name="task"/> off the candidates of waiting opens, counting them for it if its mount is unknown.</summary>
    private void SettlePending(WatchedTask task)
    {
        foreach (var (mount, waiting) in _pending.ToList())
        {
            for (var i = waiting.Count - 1; i >= 0; i--)
            {
                var open = waiting[i];
                if (!open.Candidates.Remove(task))
                {
                    continue;
                }

                if (task.MountId is null)
                {
                    task.AddUnattributed(open.Path);
                }

                if (open.Candidates.Count == 0)
                {
                    waiting.RemoveAt(i);
                    _pendingCount--;
                }
            }

            if (waiting.Count == 0)
            {
                _pending.Remove(mount);
            }
        }
    }

    /// <summary>An open by a process gone before its event was read, through a mount not known yet.</summary>
    private sealed record PendingOpen(string Path, List<WatchedTask> Candidates);
}
