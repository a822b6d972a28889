using DataExchangeTasker.Sandbox.Preparation;

namespace DataExchangeTasker.Witness;

/// <summary>
/// The one place marks are added and removed. Marks are per inode and shared by every task on the same data, so
/// each is counted: added when its first task takes it, removed when its last task gives it back. When no task holds
/// any mark, the group is flushed, so a mark whose folder was renamed or replaced meanwhile (removal by path then
/// misses it) cannot outlive the tasks. Thread-safe.
/// </summary>
internal sealed class MarkTable(IMarkTarget target)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<FileIdentity, Held> _held = [];

    /// <summary>Distinct objects marked now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _held.Count;
            }
        }
    }

    /// <summary>Marks <paramref name="objects"/> for one task (those already marked for another task are counted).</summary>
    public TaskMarks Acquire(IReadOnlyList<MarkedObject> objects)
    {
        ArgumentNullException.ThrowIfNull(objects);
        var taken = new List<MarkedObject>(objects.Count);
        var failures = new List<string>();
        lock (_gate)
        {
            foreach (var item in objects)
            {
                if (_held.TryGetValue(item.Identity, out var held))
                {
                    held.Count++;
                    taken.Add(item);
                    continue;
                }

                var errno = target.Mark(item.Path, item.Folder);
                if (errno != 0)
                {
                    failures.Add($"{item.Path} (errno {errno})");
                    continue;
                }

                _held[item.Identity] = new Held(item.Path, item.Folder);
                taken.Add(item);
            }
        }

        return new TaskMarks(this, taken, failures);
    }

    /// <summary>Gives back what <see cref="Acquire"/> took.</summary>
    internal void Release(IReadOnlyList<MarkedObject> objects)
    {
        lock (_gate)
        {
            foreach (var item in objects)
            {
                if (!_held.TryGetValue(item.Identity, out var held) || --held.Count > 0)
                {
                    continue;
                }

                _held.Remove(item.Identity);
                // ENOENT: the path now names another object (renamed or replaced); the flush below catches the old one.
                _ = target.Unmark(held.Path, held.Folder);
            }

            if (_held.Count == 0)
            {
                _ = target.Flush();
            }
        }
    }

    private sealed class Held(string path, bool folder)
    {
        public string Path { get; } = path;

        public bool Folder { get; } = folder;

        public int Count { get; set; } = 1;
    }
}
