using DataExchangeTasker.Sandbox.Claims;

namespace DataExchangeTasker.Pipeline;

/// <summary>Removes a finished task's container; never throws for engine or file failures.</summary>
internal interface ITaskContainerRemover
{
    /// <summary>
    /// Removes the container named <paramref name="key"/>, logging (not throwing) when it cannot, then releases
    /// <paramref name="claim"/> (so no new run of the task can meet the old container). May finish later, off the
    /// caller's path.
    /// </summary>
    Task RemoveAsync(TaskKey key, TaskClaim? claim, CancellationToken cancellationToken);
}
