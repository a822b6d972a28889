namespace DataExchangeTasker.Sandbox;

/// <summary>What happened to one container: how it ended and what it left in <c>/tmp/out</c>.</summary>
public sealed record ContainerRun(
    string ContainerId,
    long? ExitCode,
    bool TimedOut,
    bool OomKilled,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    long DurationMs,
    long? PeakMemoryBytes,
    BoundedText Stdout,
    BoundedText Stderr,
    BoundedText Strace);
