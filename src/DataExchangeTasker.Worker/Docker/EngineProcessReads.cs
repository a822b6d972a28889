namespace DataExchangeTasker.Docker;

/// <summary>What the engine says about a container's processes, in the tasker's terms (no Engine API model past here).</summary>
internal static class EngineProcessReads
{
    /// <summary>The host pid of the container's main process; null when it does not run (or the container is gone).</summary>
    public static async Task<long?> MainPidAsync(this IDockerEngine docker, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(docker);
        var container = await docker.InspectContainerAsync(id, cancellationToken).ConfigureAwait(false);
        // The engine reports 0 for a container that is not running.
        return container?.State?.Pid is > 0 and var pid ? pid : null;
    }
}
