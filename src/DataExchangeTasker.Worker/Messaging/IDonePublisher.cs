using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Messaging;

/// <summary>Sends a task's done message; returns once the broker confirmed it on the done queue.</summary>
internal interface IDonePublisher
{
    /// <summary>Publishes <paramref name="done"/> as the answer to <paramref name="request"/>.</summary>
    Task PublishAsync(DoneMessage done, InboundDelivery request, string? traceParent, CancellationToken cancellationToken);
}
