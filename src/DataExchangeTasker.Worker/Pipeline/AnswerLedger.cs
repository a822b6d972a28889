using System.Collections.Concurrent;

namespace DataExchangeTasker.Pipeline;

/// <summary>
/// What this tasker has answered: per task key, the SHA-256 digests of the start message bodies whose done message
/// the broker confirmed, kept for <see cref="Retention"/>. A redelivery with a recorded body only needs an ack; a
/// body not recorded (a new start message reusing a taskId) is a new task. Recorded in memory first, then in
/// <c>answered/</c> under the work root (one file per task key, one digest per line), which the code cannot reach.
/// </summary>
internal sealed class AnswerLedger
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, DateTimeOffset>> _recent = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private DateTimeOffset _lastExpiry;

    /// <summary>Creates the ledger in <paramref name="workRoot"/>/answered (created when first written).</summary>
    public AnswerLedger(string workRoot, TimeProvider? time = null)
    {
        Folder = Path.Combine(workRoot, "answered");
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The folder of the records.</summary>
    public string Folder { get; }

    /// <summary>
    /// How long an answer is remembered: a redelivery whose ack was lost (broker restart, consumer timeout) arriving
    /// within this time is acknowledged instead of run again.
    /// </summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromHours(24);

    /// <summary>True when a start message with this body was answered for <paramref name="key"/> within the retention.</summary>
    public bool HasAnswered(string key, string digest)
    {
        var cutoff = _time.GetUtcNow() - Retention;
        if (_recent.TryGetValue(key, out var known) && known.TryGetValue(digest, out var at) && at >= cutoff)
        {
            return true;
        }

        var path = PathOf(key);
        try
        {
            return File.GetLastWriteTimeUtc(path) >= cutoff.UtcDateTime && File.ReadLines(path).Contains(digest, StringComparer.Ordinal);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Records an answered body: in memory at once (never fails), then on disk, replacing the task key's file atomically.
    /// Throws <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> when the disk record fails.
    /// </summary>
    public void Record(string key, string digest)
    {
        var now = _time.GetUtcNow();
        _recent.GetOrAdd(key, _ => new ConcurrentDictionary<string, DateTimeOffset>(StringComparer.Ordinal))[digest] = now;
        if (now - _lastExpiry > TimeSpan.FromHours(1))
        {
            // Self-maintaining: at most hourly, so the records stay about one retention's worth of tasks.
            _lastExpiry = now;
            Expire();
        }

        Directory.CreateDirectory(Folder, OwnerOnly);
        var path = PathOf(key);
        var lines = new List<string>();
        if (File.Exists(path))
        {
            lines.AddRange(File.ReadLines(path).Where(l => l.Length > 0 && l != digest));
        }

        lines.Add(digest);
        var temporary = path + ".tmp";
        try
        {
            File.WriteAllLines(temporary, lines);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Forgets answers older than <see cref="Retention"/>; returns how many task keys' records were deleted.</summary>
    public int Expire()
    {
        var cutoff = _time.GetUtcNow() - Retention;
        foreach (var (key, digests) in _recent)
        {
            foreach (var (digest, at) in digests)
            {
                if (at < cutoff)
                {
                    digests.TryRemove(digest, out _);
                }
            }

            if (digests.IsEmpty)
            {
                _recent.TryRemove(key, out _);
            }
        }

        if (!Directory.Exists(Folder))
        {
            return 0;
        }

        var deleted = 0;
        foreach (var file in Directory.EnumerateFiles(Folder))
        {
            if (File.GetLastWriteTimeUtc(file) < cutoff.UtcDateTime)
            {
                File.Delete(file);
                deleted++;
            }
        }

        return deleted;
    }

    private string PathOf(string key) => Path.Combine(Folder, key);
}
