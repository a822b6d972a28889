using DataExchangeTasker.Pipeline;
using DataExchangeTasker.Sandbox;

namespace DataExchangeTasker.Tests.Support;

/// <summary>A site remover that records which sites it would have removed.</summary>
public sealed class RecordingSiteRemover(EventLog log) : ITaskSiteRemover
{
    /// <inheritdoc />
    public Task RemoveAsync(TaskSite site, CancellationToken cancellationToken)
    {
        log.Add("remove " + site.Key);
        return Task.CompletedTask;
    }
}
