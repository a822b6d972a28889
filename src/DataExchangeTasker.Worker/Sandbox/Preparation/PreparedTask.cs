using DataExchangeTasker.Images;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Spec;

namespace DataExchangeTasker.Sandbox.Preparation;

/// <summary>A start message whose paths, limits and hash were checked: ready to become a container.</summary>
/// <param name="Code">Where the code was found; only its container path is used (the snapshot is mounted there).</param>
/// <param name="Snapshot">The read-only copy of the code whose bytes were hashed: what the container mounts.</param>
/// <param name="Entry">The file to run (the image's entry, e.g. run.py), as seen in the container.</param>
/// <param name="Image">The approved image the message asked for; null: the default runner (<c>TASKER_IMAGE</c>).</param>
public sealed record PreparedTask(StartMessage Message, ResolvedPath Code, CodeSnapshot Snapshot, ResolvedPath Data, string Entry, EffectiveLimits Limits, PinnedImage? Image = null)
{
    /// <summary>The installed requirements.txt to mount read-only at <see cref="ContainerSpecFactory.DependenciesMount"/>; null: none.</summary>
    public string? DependencySite { get; init; }
}

/// <summary>The limits a task runs under: the configured maxima, lowered where the message asked.</summary>
public sealed record EffectiveLimits(TimeSpan Timeout, long MemoryBytes, double Cpus, int Pids);
