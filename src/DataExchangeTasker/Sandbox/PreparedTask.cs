using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Sandbox;

/// <summary>A start message whose paths, limits and hash were checked: ready to become a container.</summary>
/// <param name="Entry">The Python file to run, as seen in the container.</param>
public sealed record PreparedTask(StartMessage Message, ResolvedPath Code, ResolvedPath Data, string Entry, EffectiveLimits Limits);

/// <summary>The limits a task runs under: the configured maxima, lowered where the message asked.</summary>
public sealed record EffectiveLimits(TimeSpan Timeout, long MemoryBytes, double Cpus, int Pids);
