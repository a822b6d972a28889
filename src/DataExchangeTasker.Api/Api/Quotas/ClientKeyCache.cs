using System.Collections.Concurrent;
using DataExchangeTasker.Api.Store;

namespace DataExchangeTasker.Api.Quotas;

/// <summary>
/// The clients found by their key's hash in the last second, so that a burst of one client's requests reads its row
/// once. Changing a client (tier, disabled) through this process drops its entries at once; on other api processes
/// the change takes effect within <see cref="Lifetime"/>. Unknown keys are never kept.
/// </summary>
internal sealed class ClientKeyCache(TimeProvider time)
{
    /// <summary>How long a found client is reused.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(1);

    private const int MaxEntries = 10_000;
    private readonly ConcurrentDictionary<string, (ClientRow Client, long Until)> _entries = new(StringComparer.Ordinal);

    /// <summary>The client for <paramref name="keyHash"/>, from the cache or <paramref name="load"/>.</summary>
    public async Task<ClientRow?> GetAsync(string keyHash, Func<string, Task<ClientRow?>> load)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (_entries.TryGetValue(keyHash, out var entry) && entry.Until > now)
        {
            return entry.Client;
        }

        var client = await load(keyHash).ConfigureAwait(false);
        if (client is not null)
        {
            if (_entries.Count >= MaxEntries)
            {
                _entries.Clear();
            }

            _entries[keyHash] = (client, now + (long)Lifetime.TotalMilliseconds);
        }

        return client;
    }

    /// <summary>Forgets <paramref name="clientId"/> (after it changed).</summary>
    public void Forget(string clientId)
    {
        foreach (var (hash, entry) in _entries)
        {
            if (entry.Client.ClientId == clientId)
            {
                _entries.TryRemove(hash, out _);
            }
        }
    }
}
