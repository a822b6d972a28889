namespace DataExchangeTasker.Api.Store;

/// <summary>An API client: its tier and the SHA-256 of its key (the key itself is never stored).</summary>
internal sealed record ClientRow
{
    public string ClientId { get; init; } = "";

    public string Tier { get; init; } = "";

    public string KeyHash { get; init; } = "";

    /// <summary>1 when enabled.</summary>
    public long Enabled { get; init; } = 1;

    public long CreatedAt { get; init; }

    /// <summary>Unfinished tasks (scheduled, queued or running), kept by the store.</summary>
    public long Unfinished { get; init; }
}
