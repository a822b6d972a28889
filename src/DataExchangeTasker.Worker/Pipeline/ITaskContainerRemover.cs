using DataExchangeTasker.Sandbox.Claims;

namespace DataExchangeTasker.Pipeline;

/// <summary>Removes a finished task's container; never throws for engine or file failures.</summary>
internal interface ITaskContainerRemover
{
    /// <summary>
    /// Removes what <paramref name="site"/> holds, logging (not throwing) when it cannot, then releases
    /// <paramref name="claim"/> (so no new run of the task can meet the old container). May finish later, off the
    /// caller's path.
    /// </summary>
    Task RemoveAsync(TaskKey site, TaskClaim? claim, CancellationToken cancellationToken);
}
