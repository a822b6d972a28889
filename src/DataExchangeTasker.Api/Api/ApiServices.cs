using DataExchangeTasker.Api.Messaging;
using DataExchangeTasker.Api.Schedules;
using DataExchangeTasker.Api.Status;
using DataExchangeTasker.Api.Store;
using DataExchangeTasker.Configuration;
using Serilog;

namespace DataExchangeTasker.Api;

/// <summary>What the HTTP endpoints work with; owned by <see cref="ApiHost"/>.</summary>
internal sealed record ApiServices(
    ApiOptions Options,
    ITaskStore Store,
    string StoreId,
    string DoneCopyQueue,
    BrokerLink Broker,
    CancelPublisher Cancels,
    DueTaskPublisher DueTasks,
    ViewTokens ViewTokens,
    Quotas.ClientKeyCache Clients,
    ApiMetrics Metrics,
    ApiHealth Health,
    ILogger Log,
    TimeProvider Time)
{
    /// <summary>Now, in Unix milliseconds.</summary>
    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();
}
