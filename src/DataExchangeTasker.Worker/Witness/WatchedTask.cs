using DataExchangeTasker.Governance.Trace;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Witness;

/// <summary>
/// What the witness knows about one running task: its container, where its data appears in that container, the
/// mount it arrives through (once known), and the data paths seen opened so far. Touched only by the ledger's loop.
/// </summary>
/// <param name="ContainerId">The task container's full id.</param>
/// <param name="ContainerPath">Where the data is mounted in it, e.g. <c>/tmp/data/demo</c>.</param>
internal sealed class WatchedTask(string ContainerId, string ContainerPath)
{
    /// <summary>Distinct paths kept per task: a task reading a folder of 100,000 files costs a bounded amount.</summary>
    public const int MaxPaths = 100_000;

    private readonly HashSet<string> _paths = new(StringComparer.Ordinal);
    private bool _capped;
    private long _unattributed;
    private long _runtimeOpens;
    private bool _eventsLost;

    public string ContainerId { get; } = ContainerId;

    public string ContainerPath { get; } = ContainerPath;

    /// <summary>The unique id of the data's mount in the container, once found.</summary>
    public ulong? MountId { get; set; }

    /// <summary>Some folders of the data could not all be marked (more than the cap): reads there went unseen.</summary>
    public bool PartlyMarked { get; init; }

    /// <summary>Records an open by the task's code.</summary>
    public void Add(string path)
    {
        if (_paths.Count >= MaxPaths)
        {
            _capped |= !_paths.Contains(path);
            return;
        }

        _paths.Add(path);
    }

    /// <summary>Records an open that could have been this task's or another's (<see cref="WitnessSummary.Unattributed"/>).</summary>
    public void AddUnattributed(string path)
    {
        Add(path);
        _unattributed++;
    }

    /// <summary>Counts an open by the container's root side (not the code's).</summary>
    public void AddRuntimeOpen() => _runtimeOpens++;

    /// <summary>The kernel dropped events while the task ran.</summary>
    public void LoseEvents() => _eventsLost = true;

    /// <summary>True when <paramref name="path"/> lies in this task's data (as any container sees it).</summary>
    public bool Covers(string path) =>
        path == ContainerPath || (path.StartsWith(ContainerPath, StringComparison.Ordinal) && path.Length > ContainerPath.Length && path[ContainerPath.Length] == '/');

    /// <summary>What the witness says about the task.</summary>
    /// <param name="standsIn">The trace's filter records no opens (<see cref="WitnessSummary.StandsIn"/>).</param>
    public WitnessSummary Summary(bool standsIn)
    {
        var sorted = _paths.Order(StringComparer.Ordinal).ToList();
        var listed = sorted.Count > TraceSummaryBuilder.MaxEntries ? sorted.GetRange(0, TraceSummaryBuilder.MaxEntries) : sorted;
        return new WitnessSummary(WitnessSummary.Fanotify)
        {
            DataRead = listed,
            Capped = _capped || PartlyMarked || sorted.Count > listed.Count,
            Unattributed = _unattributed,
            RuntimeOpens = _runtimeOpens,
            EventsLost = _eventsLost,
            StandsIn = standsIn,
            DataReadAll = _paths,
        };
    }
}
