namespace DataExchangeTasker.Messaging;

/// <summary>Moves a start message nobody can be answered about to the dead-letter queue; returns once confirmed.</summary>
internal interface IDeadLetterPublisher
{
    /// <summary>Publishes an unchanged copy of <paramref name="delivery"/> with <paramref name="reason"/>.</summary>
    Task PublishAsync(InboundDelivery delivery, string reason, CancellationToken cancellationToken);
}
