using DataExchangeTasker.Api.Store;

namespace DataExchangeTasker.Api.Http;

/// <summary>Who is asking: a client (API key) or the admin (X-Admin-Key, reads everything, owns nothing).</summary>
internal sealed record Caller(ClientRow? Client, bool IsAdmin)
{
    /// <summary>The client's id; null for the admin.</summary>
    public string? ClientId => Client?.ClientId;

    /// <summary>True when this caller may read a task or schedule owned by <paramref name="ownerClientId"/>.</summary>
    public bool MayRead(string? ownerClientId) => IsAdmin || (ownerClientId is not null && ownerClientId == ClientId);
}
