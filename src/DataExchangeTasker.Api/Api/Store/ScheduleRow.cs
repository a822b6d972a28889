namespace DataExchangeTasker.Api.Store;

/// <summary>A recurring submission: every <see cref="EverySeconds"/> or on <see cref="Cron"/>.</summary>
internal sealed record ScheduleRow
{
    public string ScheduleId { get; init; } = "";

    public string? ClientId { get; init; }

    public string CodePath { get; init; } = "";

    public string DataPath { get; init; } = "";

    public string? CodeHash { get; init; }

    public string? LimitsJson { get; init; }

    public string? Image { get; init; }

    public long? EverySeconds { get; init; }

    public string? Cron { get; init; }

    public long CreatedAt { get; init; }

    /// <summary>The period the next firing belongs to (Unix ms).</summary>
    public long NextFireAt { get; init; }

    public long FiredCount { get; init; }

    /// <summary>Periods not run because the client was over its tier's rate or concurrency (or disabled).</summary>
    public long SkippedCount { get; init; }

    /// <summary>1 once deleted: it fires no more, its runs stay readable.</summary>
    public long Deleted { get; init; }
}
