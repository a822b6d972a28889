using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Serilog;

namespace DataExchangeTasker.Messaging;

/// <summary>
/// Acks and requeues on the channel a delivery came from. If that channel is gone the broker has already
/// requeued the message; its redelivery finds its body in the AnswerLedger and is only acked, so nothing runs twice.
/// </summary>
internal sealed class ChannelDeliverySettlement(IChannel channel, ulong deliveryTag, ILogger log) : IDeliverySettlement
{
    /// <inheritdoc />
    public async Task<bool> AckAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (channel.IsOpen)
            {
                await channel.BasicAckAsync(deliveryTag, multiple: false, cancellationToken).ConfigureAwait(false);
                return true;
            }
        }
        catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException)
        {
            log.Warning("Could not ack delivery {DeliveryTag}: {Error}; the broker will redeliver it", deliveryTag, e.Message);
        }

        return false;
    }

    /// <inheritdoc />
    public async Task RequeueAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (channel.IsOpen)
            {
                await channel.BasicNackAsync(deliveryTag, multiple: false, requeue: true, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException)
        {
            log.Debug("Requeue of {DeliveryTag} not needed, channel closed: {Error}", deliveryTag, e.Message);
        }
    }
}
