namespace DataExchangeTasker.Messaging;

/// <summary>
/// How the pipeline settles one start message with the broker, without knowing AMQP: acknowledge it once its
/// answer is confirmed, or return it to the queue.
/// </summary>
internal interface IDeliverySettlement
{
    /// <summary>Acknowledges the delivery; false when that was no longer possible (the broker redelivers it).</summary>
    Task<bool> AckAsync(CancellationToken cancellationToken);

    /// <summary>Returns the delivery to the queue (shutdown before its task could finish).</summary>
    Task RequeueAsync(CancellationToken cancellationToken);
}
