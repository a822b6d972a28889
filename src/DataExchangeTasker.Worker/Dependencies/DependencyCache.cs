using System.Security.Cryptography;
using DataExchangeTasker.Sandbox.Preparation;

namespace DataExchangeTasker.Dependencies;

/// <summary>
/// The installed requirements on disk (<c>TASKER_DEPS_ROOT</c>): <c>&lt;key&gt;/site</c> (what a run mounts read-only),
/// <c>&lt;key&gt;/pip.log</c> and <c>&lt;key&gt;/key.json</c> (the inputs, for the operator). An entry appears whole, by
/// <c>rename(2)</c> of a private staging folder, and is read-only (folders 0555, files 0444) from then on. A lock file
/// per key serialises installs across processes sharing the root, so one install serves them all.
/// </summary>
/// <param name="root">The cache's folder.</param>
/// <param name="time">The clock a lock's wait and a staging folder's age are measured on; the system's when null.</param>
internal sealed class DependencyCache(string root, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    private const UnixFileMode PrivateFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The cache's folder.</summary>
    public string Root => root;

    /// <summary>The site folder of an installed entry (marked as used now), or null.</summary>
    public string? Find(string key)
    {
        var entry = Path.Combine(root, key);
        var site = Path.Combine(entry, "site");
        if (!Directory.Exists(site))
        {
            return null;
        }

        CodeSnapshotStore.MarkUsed(entry);
        return site;
    }

    /// <summary>A fresh staging path for <paramref name="key"/> (not created: the extractor creates it).</summary>
    public string NewStaging(string key)
    {
        Directory.CreateDirectory(root, PrivateFolder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        return Path.Combine(root, ".tmp-" + key[..16] + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));
    }

    /// <summary>Seals <paramref name="staging"/> (with its log and key files) and publishes it as <paramref name="key"/>; returns the site folder.</summary>
    public string Publish(string staging, string key, string pipLog, string keyJson)
    {
        ArgumentNullException.ThrowIfNull(staging);
        File.WriteAllText(Path.Combine(staging, "pip.log"), pipLog);
        File.WriteAllText(Path.Combine(staging, "key.json"), keyJson);
        CodeSnapshotStore.Seal(staging);
        var entry = Path.Combine(root, key);
        try
        {
            Directory.Move(staging, entry);
        }
        catch (IOException) when (Directory.Exists(entry))
        {
            // Published meanwhile by a process that did not take the lock (e.g. the lock file was removed): same content.
            Discard(staging);
        }

        return Path.Combine(entry, "site");
    }

    /// <summary>Removes a staging folder (or an expired entry); absent is fine.</summary>
    public static void Discard(string folder) => CodeSnapshotStore.Remove(folder);

    /// <summary>
    /// Takes the exclusive lock of <paramref name="key"/> (an advisory lock on <c>.lock-&lt;key&gt;</c>), waiting for another
    /// process's install at most <paramref name="wait"/>: longer than one install may take, so only a stuck holder times out.
    /// </summary>
    public async Task<IDisposable> LockAsync(string key, TimeSpan wait, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(root, PrivateFolder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        var path = Path.Combine(root, ".lock-" + key);
        var deadline = _time.GetUtcNow() + wait;
        while (true)
        {
            try
            {
                // .NET takes flock(LOCK_EX | LOCK_NB) for FileShare.None on Unix; the lock dies with the process.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (_time.GetUtcNow() < deadline)
            {
                // Another process installs this key: poll until it is done (bounded by the deadline above).
                await Task.Delay(TimeSpan.FromMilliseconds(250), _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Entry folders (not staging or lock files), for expiry.</summary>
    public IEnumerable<string> Entries() =>
        Directory.Exists(root) ? Directory.EnumerateDirectories(root).Where(d => !Path.GetFileName(d).StartsWith('.')) : [];

    /// <summary>Staging folders older than <paramref name="age"/>: left by a crash mid-install.</summary>
    public IEnumerable<string> StaleStaging(TimeSpan age) =>
        Directory.Exists(root)
            ? Directory.EnumerateDirectories(root, ".tmp-*").Where(d => Directory.GetLastWriteTimeUtc(d) < _time.GetUtcNow().UtcDateTime - age)
            : [];
}
