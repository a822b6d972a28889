namespace DataExchangeTasker.Api.Store;

/// <summary>How many tasks are in one state (the status page's counts).</summary>
internal sealed record StateCount
{
    public string State { get; init; } = "";

    public long Tasks { get; init; }
}
