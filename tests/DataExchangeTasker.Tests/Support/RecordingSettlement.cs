using DataExchangeTasker.Messaging;

namespace DataExchangeTasker.Tests.Support;

/// <summary>A delivery settlement that records acks and requeues instead of talking to a broker.</summary>
public sealed class RecordingSettlement(EventLog? log = null) : IDeliverySettlement
{
    /// <summary>What <see cref="AckAsync"/> answers (false: as if the channel was gone).</summary>
    public bool AckSucceeds { get; set; } = true;

    /// <summary>Runs at each ack, before it is recorded.</summary>
    public Action? OnAck { get; set; }

    /// <summary>Acks so far.</summary>
    public int Acks { get; private set; }

    /// <summary>Requeues so far.</summary>
    public int Requeues { get; private set; }

    /// <inheritdoc />
    public Task<bool> AckAsync(CancellationToken cancellationToken)
    {
        OnAck?.Invoke();
        Acks++;
        log?.Add("ack");
        return Task.FromResult(AckSucceeds);
    }

    /// <inheritdoc />
    public Task RequeueAsync(CancellationToken cancellationToken)
    {
        Requeues++;
        log?.Add("requeue");
        return Task.CompletedTask;
    }
}
