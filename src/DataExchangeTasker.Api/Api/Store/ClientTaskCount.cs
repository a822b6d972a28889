namespace DataExchangeTasker.Api.Store;

/// <summary>How many tasks one client has in one state (for /metrics).</summary>
internal sealed record ClientTaskCount
{
    public string? ClientId { get; init; }

    public string State { get; init; } = "";

    public long Tasks { get; init; }
}
