namespace DataExchangeTasker.Messaging;

/// <summary>
/// A start message copied out of the consumer callback (the client reuses the body's memory afterwards),
/// with what is needed to answer it and to settle it with the broker.
/// </summary>
public sealed record InboundDelivery(
    byte[] Body,
    bool Redelivered,
    string? ReplyTo,
    string? CorrelationId,
    string? TraceParent,
    string? ContentType,
    IDeliverySettlement Settlement)
{
    /// <summary>The original headers, kept for dead-lettering.</summary>
    public IReadOnlyDictionary<string, object?>? Headers { get; init; }
}
