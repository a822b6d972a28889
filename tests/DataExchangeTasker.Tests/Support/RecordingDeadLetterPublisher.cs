using DataExchangeTasker.Messaging;

namespace DataExchangeTasker.Tests.Support;

/// <summary>A dead-letter publisher that records the reasons it was given.</summary>
internal sealed class RecordingDeadLetterPublisher(EventLog log) : IDeadLetterPublisher
{
    /// <inheritdoc />
    public Task PublishAsync(InboundDelivery delivery, string reason, CancellationToken cancellationToken)
    {
        log.Add("dead-letter " + reason);
        return Task.CompletedTask;
    }
}
