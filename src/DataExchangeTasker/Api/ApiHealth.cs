using DataExchangeTasker.Messaging;

namespace DataExchangeTasker.Api;

/// <summary>The api process's dependencies as <c>/health</c> reports them.</summary>
public sealed class ApiHealth(AmqpConnector connector)
{
    private volatile string? _storeError;

    /// <summary>Set by the owner once the copy-queue consumers exist.</summary>
    public Func<bool> DoneConsumerUp { get; set; } = () => false;

    /// <summary>Set by the owner once the progress consumer exists.</summary>
    public Func<bool> ProgressConsumerUp { get; set; } = () => false;

    /// <summary>The last store failure seen by a background loop, cleared by its next success.</summary>
    public string? StoreError
    {
        get => _storeError;
        set => _storeError = value;
    }

    /// <summary>True while stopping: readiness turns false first.</summary>
    public bool Draining { get; set; }

    public bool BrokerUp => connector.IsConnected;
}
