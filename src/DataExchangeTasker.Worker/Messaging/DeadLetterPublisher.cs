using DataExchangeTasker.Configuration;
using RabbitMQ.Client;

namespace DataExchangeTasker.Messaging;

/// <summary>
/// Moves a start message nobody can be answered about (not JSON, no usable taskId) to <c>tasker_todo.dead</c>,
/// unchanged, with the reason in header <c>x-tasker-reason</c>; the original is acked only after the confirm.
/// </summary>
internal sealed class DeadLetterPublisher(ConfirmedPublisher publisher, MessagingOptions options) : IDeadLetterPublisher
{
    /// <summary>The header carrying the reason.</summary>
    public const string ReasonHeader = "x-tasker-reason";

    /// <inheritdoc />
    public Task PublishAsync(InboundDelivery delivery, string reason, CancellationToken cancellationToken)
    {
        var headers = delivery.Headers is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(delivery.Headers);
        headers[ReasonHeader] = reason;
        headers["x-tasker-original-queue"] = options.TodoQueue;
        var properties = new BasicProperties
        {
            Persistent = true,
            ContentType = delivery.ContentType,
            CorrelationId = delivery.CorrelationId,
            ReplyTo = delivery.ReplyTo,
            Headers = headers,
        };
        return publisher.PublishAsync("", options.DeadLetterQueue, mandatory: true, properties, delivery.Body, cancellationToken);
    }
}
