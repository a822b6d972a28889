using System.Globalization;

namespace DataExchangeTasker.Control;

/// <summary>
/// The cancels this tasker has received, kept in <c>cancels.log</c> under <c>TASKER_WORK_ROOT</c> (one
/// <c>unix-seconds taskId</c> line each) for <c>TASKER_CANCEL_MEMORY</c>, so a task still queued when the tasker
/// restarts is cancelled when it is taken. Expired lines are dropped when the file is loaded.
/// </summary>
internal sealed class CancelMemory
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _cancels = new(StringComparer.Ordinal);
    private readonly string _file;
    private readonly TimeSpan _keep;
    private readonly TimeProvider _time;

    /// <summary>Loads what <paramref name="workRoot"/> remembers and rewrites it without the expired cancels.</summary>
    public CancelMemory(string workRoot, TimeSpan keep, TimeProvider? time = null)
    {
        _file = Path.Combine(workRoot, "cancels.log");
        _keep = keep;
        _time = time ?? TimeProvider.System;
        var now = _time.GetUtcNow();
        if (File.Exists(_file))
        {
            foreach (var line in File.ReadLines(_file))
            {
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                if (space > 0 && long.TryParse(line.AsSpan(0, space), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
                {
                    var at = DateTimeOffset.FromUnixTimeSeconds(seconds);
                    if (now - at < keep)
                    {
                        _cancels[line[(space + 1)..]] = at;
                    }
                }
            }
        }

        // Written whole then renamed: a crash leaves either file, never half of one.
        var temporary = _file + ".tmp";
        File.WriteAllLines(temporary, _cancels.Select(c => Line(c.Key, c.Value)));
        File.Move(temporary, _file, overwrite: true);
    }

    /// <summary>Remembers a cancel of <paramref name="taskId"/> (durably, before returning).</summary>
    public void Remember(string taskId)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            _cancels[taskId] = now;
            using var stream = new FileStream(_file, FileMode.Append, FileAccess.Write, FileShare.Read);
            using var writer = new StreamWriter(stream);
            writer.WriteLine(Line(taskId, now));
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
    }

    /// <summary>True when <paramref name="taskId"/> was cancelled within the memory window.</summary>
    public bool Contains(string taskId)
    {
        lock (_gate)
        {
            return _cancels.TryGetValue(taskId, out var at) && _time.GetUtcNow() - at < _keep;
        }
    }

    private static string Line(string taskId, DateTimeOffset at) =>
        // A taskId with a line break would forge a second entry; it is stored flattened.
        string.Create(CultureInfo.InvariantCulture, $"{at.ToUnixTimeSeconds()} {taskId.ReplaceLineEndings(" ")}");
}
