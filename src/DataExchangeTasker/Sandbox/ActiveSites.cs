using System.Collections.Concurrent;

namespace DataExchangeTasker.Sandbox;

/// <summary>Keys of the tasks this process is working on, so cleanup never removes a container a task still needs.</summary>
public sealed class ActiveSites
{
    private readonly ConcurrentDictionary<string, byte> _keys = new(StringComparer.Ordinal);

    /// <summary>Marks a task's site as in use until <see cref="Release"/>.</summary>
    public void Claim(string key) => _keys[key] = 0;

    /// <summary>The task is answered and cleaned up.</summary>
    public void Release(string key) => _keys.TryRemove(key, out _);

    /// <summary>Is a task of this process using the site?</summary>
    public bool Contains(string key) => _keys.ContainsKey(key);
}
