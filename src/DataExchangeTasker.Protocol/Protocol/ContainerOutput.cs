namespace DataExchangeTasker.Protocol;

/// <summary>What the container produced, each stream capped at the configured output limit.</summary>
public sealed record ContainerOutput(string Stdout, string Stderr, string Strace);
