using DataExchangeTasker.Api.Messaging;

namespace DataExchangeTasker.Api;

/// <summary>The api process's dependencies as <c>/health</c> reports them.</summary>
internal sealed class ApiHealth(BrokerLink broker)
{
    private volatile string? _storeError;

    /// <summary>The last store failure seen by a background loop, cleared by its next success.</summary>
    public string? StoreError
    {
        get => _storeError;
        set => _storeError = value;
    }

    /// <summary>True while stopping: readiness turns false first.</summary>
    public bool Draining { get; set; }

    /// <summary>Connected, topology declared, consumers started.</summary>
    public bool BrokerUp => broker.IsReady;

    /// <summary>The broker's address and state (why it is down), for <c>/health/ready</c>.</summary>
    public string Broker => broker.Describe();

    public bool DoneConsumerUp => broker.DoneConsumerUp;

    public bool ProgressConsumerUp => broker.ProgressConsumerUp;
}
