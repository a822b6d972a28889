using System.Collections.Concurrent;

namespace DataExchangeTasker.Sandbox.Claims;

/// <summary>
/// The tasks this process is working on, by site key. A second delivery of a task in flight (a redelivery after
/// a broker restart, or a duplicate publish) waits for the first instead of adopting its container in parallel,
/// and cleanup never removes a container a task still needs.
/// </summary>
internal sealed class ActiveSites
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<bool>> _sites = new(StringComparer.Ordinal);

    /// <summary>
    /// Claims <paramref name="key"/>, waiting while another delivery holds it. Returns the claim, or null when the
    /// holder answered the task meanwhile (then there is nothing left to do but acknowledge).
    /// </summary>
    public async Task<TaskClaim?> ClaimAsync(string key, CancellationToken cancellationToken)
    {
        while (true)
        {
            var holder = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_sites.TryAdd(key, holder))
            {
                return new TaskClaim(key, answered => Release(key, holder, answered));
            }

            if (_sites.TryGetValue(key, out var other) && await other.Task.WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
        }
    }

    /// <summary>Is a task of this process using the site?</summary>
    public bool Contains(string key) => _sites.ContainsKey(key);

    private void Release(string key, TaskCompletionSource<bool> holder, bool answered)
    {
        _sites.TryRemove(new KeyValuePair<string, TaskCompletionSource<bool>>(key, holder));
        holder.TrySetResult(answered);
    }
}
