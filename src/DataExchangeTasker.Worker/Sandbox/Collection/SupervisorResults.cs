using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Sandbox.Collection;

/// <summary>What came back from the supervisor's root-only folder <c>/run/tasker</c>.</summary>
/// <param name="Manifest">Null when the supervisor wrote none (it died before the code ended): the trace is then incomplete.</param>
internal sealed record SupervisorResults(CollectedStream Stdout, CollectedStream Stderr, CollectedStream Strace, SupervisorManifest? Manifest)
{
    /// <summary>What the whole trace shows the code did; null when the archive held no trace.</summary>
    public Protocol.TraceSummary? TraceSummary { get; init; }
}
