using DataExchangeTasker.Hosting;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Resilience;

namespace DataExchangeTasker.Tests.Hosting;

public sealed class TaskerTimingsTests
{
    [Fact]
    public void Production_EveryWait_IsTheOneTaskerRunHadBeforeTheRecord()
    {
        var production = TaskerTimings.Production;

        Assert.Equal(TimeSpan.FromSeconds(30), production.EngineCallDeadline);
        Assert.Equal(TimeSpan.FromSeconds(5), production.EnginePingDeadline);
        Assert.Equal(TimeSpan.FromSeconds(2), production.EngineWatchInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), production.EngineOutagePauseDeadline);
        Assert.Equal(TimeSpan.FromSeconds(1), production.IntakeInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), production.SweepInterval);
        Assert.Equal(new BrokerConnectionTimings(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30)), production.Broker);
        Assert.Equal(RetryPipelines.ReplyPublish, production.ReplyRetry);
        Assert.Equal(RetryPipelines.Subscribe, production.SubscribeRetry);
        Assert.Same(TimeProvider.System, production.Time);
    }

    [Fact]
    public void BrokerDefault_RpcTimeout_IsTheClientLibrarysOwnDefault()
    {
        // The record states the client's default explicitly; a library upgrade that changed it must be a decision.
        Assert.Equal(new RabbitMQ.Client.ConnectionFactory().ContinuationTimeout, BrokerConnectionTimings.Default.RpcTimeout);
    }
}
