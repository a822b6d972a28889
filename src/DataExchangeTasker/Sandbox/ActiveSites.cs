using System.Collections.Concurrent;

namespace DataExchangeTasker.Sandbox;

/// <summary>
/// The tasks this process is working on, by site key. A second delivery of a task in flight (a redelivery after
/// a broker restart, or a duplicate publish) waits for the first instead of adopting its container in parallel,
/// and cleanup never removes a container a task still needs.
/// </summary>
public sealed class ActiveSites
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<bool>> _sites = new(StringComparer.Ordinal);

    /// <summary>Claims <paramref name="key"/>; false when another delivery holds it.</summary>
    public bool TryClaim(string key) =>
        _sites.TryAdd(key, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Waits until the holder releases <paramref name="key"/>; true when it answered the task.</summary>
    public Task<bool> WaitAsync(string key, CancellationToken cancellationToken) =>
        _sites.TryGetValue(key, out var holder) ? holder.Task.WaitAsync(cancellationToken) : Task.FromResult(false);

    /// <summary>Releases a claim; <paramref name="answered"/> tells waiters whether the task's done message is out.</summary>
    public void Release(string key, bool answered)
    {
        if (_sites.TryRemove(key, out var holder))
        {
            holder.TrySetResult(answered);
        }
    }

    /// <summary>Is a task of this process using the site?</summary>
    public bool Contains(string key) => _sites.ContainsKey(key);
}
