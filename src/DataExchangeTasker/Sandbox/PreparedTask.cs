using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Sandbox;

/// <summary>A start message whose paths, limits and hash were checked: ready to become a container.</summary>
/// <param name="Code">Where the code was found; only its container path is used (the snapshot is mounted there).</param>
/// <param name="Snapshot">The read-only copy of the code whose bytes were hashed: what the container mounts.</param>
/// <param name="Entry">The Python file to run, as seen in the container.</param>
public sealed record PreparedTask(StartMessage Message, ResolvedPath Code, CodeSnapshot Snapshot, ResolvedPath Data, string Entry, EffectiveLimits Limits);

/// <summary>The limits a task runs under: the configured maxima, lowered where the message asked.</summary>
public sealed record EffectiveLimits(TimeSpan Timeout, long MemoryBytes, double Cpus, int Pids);
