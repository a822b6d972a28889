using DataExchangeTasker.Sandbox.Collection;

namespace DataExchangeTasker.Sandbox.Run;

/// <summary>What happened to one task container and what came back from it.</summary>
/// <param name="TimedOut">The tasker's time limit ended the code.</param>
/// <param name="OomKilled">The container's memory limit killed a process of the task.</param>
/// <param name="Results">The supervisor's streams and manifest; null when they could not be collected (see <paramref name="Missing"/>).</param>
/// <param name="Outputs">The code's output files as stored on the host; null when none were collected.</param>
/// <param name="OutputFolder">The host folder holding <paramref name="Outputs"/>; null when no file was kept.</param>
/// <param name="Missing">Why <paramref name="Results"/> is null, for the done message.</param>
internal sealed record ContainerRun(
    string ContainerId,
    bool TimedOut,
    bool OomKilled,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    long DurationMs,
    long? PeakMemoryBytes,
    SupervisorResults? Results,
    ExtractedOutputs? Outputs,
    string? OutputFolder,
    string? Missing)
{
    /// <summary>The engine's id of the image the container ran (<c>sha256:…</c>), when the engine reported it.</summary>
    public string? ImageId { get; init; }

    /// <summary>
    /// SHA-256 of the container create request (JSON) this tasker sent; for an adopted container, of the
    /// configuration the engine reports for it (the request itself was sent by an earlier process).
    /// </summary>
    public string? ContainerSpecSha256 { get; init; }

    /// <summary>
    /// Why the code's output files could not be stored (the results root could not be written, named); null when they
    /// were, or there were none.
    /// </summary>
    public string? OutputsUnstored { get; init; }

    /// <summary>What the witness outside the sandbox saw the task open; null when no witness was asked (tests).</summary>
    public Protocol.WitnessSummary? Witness { get; init; }
}
