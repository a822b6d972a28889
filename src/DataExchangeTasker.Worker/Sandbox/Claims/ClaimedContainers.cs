using System.Collections.Concurrent;

namespace DataExchangeTasker.Sandbox.Claims;

/// <summary>
/// The containers this process is working with, by name: a task's (its <see cref="TaskKey"/>) or a dependency
/// preparation container's. A second delivery of a task in flight (a redelivery after a broker restart, or a
/// duplicate publish) waits for the first instead of adopting its container in parallel, and the leftover sweep
/// never removes a container a task or an install still needs.
/// </summary>
internal sealed class ClaimedContainers
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<bool>> _holders = new(StringComparer.Ordinal);

    /// <summary>
    /// Claims <paramref name="key"/>, waiting while another delivery holds it. Returns the claim, or null when the
    /// holder answered the task meanwhile (then there is nothing left to do but acknowledge).
    /// </summary>
    public async Task<TaskClaim?> ClaimAsync(string key, CancellationToken cancellationToken)
    {
        while (true)
        {
            var holder = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_holders.TryAdd(key, holder))
            {
                return new TaskClaim(key, answered => Release(key, holder, answered));
            }

            if (_holders.TryGetValue(key, out var other) && await other.Task.WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
        }
    }

    /// <summary>Is a task (or an install) of this process using the container named <paramref name="key"/>?</summary>
    public bool Contains(string key) => _holders.ContainsKey(key);

    private void Release(string key, TaskCompletionSource<bool> holder, bool answered)
    {
        _holders.TryRemove(new KeyValuePair<string, TaskCompletionSource<bool>>(key, holder));
        holder.TrySetResult(answered);
    }
}
