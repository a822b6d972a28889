using DataExchangeTasker.Sandbox;

namespace DataExchangeTasker.Pipeline;

/// <summary>Removes a finished task's container; never throws for engine or file failures.</summary>
public interface ITaskSiteRemover
{
    /// <summary>Removes what <paramref name="site"/> holds, logging (not throwing) when it cannot.</summary>
    Task RemoveAsync(TaskSite site, CancellationToken cancellationToken);
}
