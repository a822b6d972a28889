using RabbitMQ.Client.Exceptions;
using Serilog;

namespace DataExchangeTasker.Messaging;

/// <summary>
/// Acks and requeues on the channel a delivery came from. If that channel is gone the broker has already
/// requeued the message; its redelivery finds the published marker and is only acked, so nothing runs twice.
/// </summary>
public sealed class Acknowledger(ILogger log)
{
    /// <summary>Acknowledges a delivery; returns false when its channel was lost (the broker will redeliver).</summary>
    public async Task<bool> AckAsync(InboundDelivery delivery, CancellationToken cancellationToken)
    {
        try
        {
            if (delivery.Channel.IsOpen)
            {
                await delivery.Channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, cancellationToken).ConfigureAwait(false);
                return true;
            }
        }
        catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException)
        {
            log.Warning("Could not ack delivery {DeliveryTag}: {Error}; the broker will redeliver it", delivery.DeliveryTag, e.Message);
        }

        return false;
    }

    /// <summary>Returns a delivery to the queue (shutdown before its task could finish).</summary>
    public async Task RequeueAsync(InboundDelivery delivery, CancellationToken cancellationToken)
    {
        try
        {
            if (delivery.Channel.IsOpen)
            {
                await delivery.Channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException)
        {
            log.Debug("Requeue of {DeliveryTag} not needed, channel closed: {Error}", delivery.DeliveryTag, e.Message);
        }
    }
}
