using RabbitMQ.Client;

namespace DataExchangeTasker.Messaging;

/// <summary>
/// A start message copied out of the consumer callback (the client reuses the body's memory afterwards),
/// with what is needed to answer and acknowledge it.
/// </summary>
public sealed record InboundDelivery(
    byte[] Body,
    ulong DeliveryTag,
    bool Redelivered,
    string? ReplyTo,
    string? CorrelationId,
    string? TraceParent,
    string? ContentType,
    IChannel Channel)
{
    /// <summary>The original headers, kept for dead-lettering.</summary>
    public IDictionary<string, object?>? Headers { get; init; }
}
