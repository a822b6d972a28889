using System.Text.Json;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Protocol;
using RabbitMQ.Client;
using Serilog;

namespace DataExchangeTasker.Messaging;

/// <summary>
/// Sends a done message to <c>tasker_done</c> (persistent, JSON, correlation id = taskId) until confirmed and, when
/// the start message asked with <c>reply_to</c>, to that queue too with the start message's correlation id
/// (a bounded number of attempts: the answer is already safe on <c>tasker_done</c>).
/// </summary>
public sealed class DonePublisher(ConfirmedPublisher publisher, MessagingOptions options, ILogger log) : IDonePublisher
{
    /// <inheritdoc />
    public async Task PublishAsync(DoneMessage done, InboundDelivery request, string? traceParent, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(done, ProtocolJson.Done);
        var properties = Properties(done.TaskId, traceParent);
        // With declared topology the done exchange exists and other services may bind to it; otherwise
        // the default exchange reaches the queue whatever else exists.
        var exchange = options.DeclareTopology ? options.DoneQueue : "";
        await publisher.PublishAsync(exchange, options.DoneQueue, mandatory: true, properties, body, cancellationToken).ConfigureAwait(false);

        if (request.ReplyTo is { Length: > 0 } replyTo)
        {
            var reply = Properties(request.CorrelationId ?? done.TaskId, traceParent);
            // Not mandatory: the requester may have given up and deleted its reply queue.
            if (!await publisher.TryPublishAsync("", replyTo, mandatory: false, reply, body, cancellationToken).ConfigureAwait(false))
            {
                log.ForContext("TaskId", done.TaskId).Warning(
                    "Task {TaskId:l}: gave up sending its done message to reply_to {ReplyTo:l}; it is on {DoneQueue:l}", done.TaskId, replyTo, options.DoneQueue);
            }
        }
    }

    private static BasicProperties Properties(string correlationId, string? traceParent)
    {
        var properties = new BasicProperties
        {
            Persistent = true,
            ContentType = "application/json",
            ContentEncoding = "utf-8",
            CorrelationId = correlationId,
            Timestamp = new AmqpTimestamp(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
            Type = "tasker.done",
        };
        if (traceParent is not null)
        {
            properties.Headers = new Dictionary<string, object?> { ["traceparent"] = traceParent };
        }

        return properties;
    }
}
