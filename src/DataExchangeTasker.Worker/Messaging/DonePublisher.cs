using DataExchangeTasker.Configuration;
using DataExchangeTasker.Health;
using DataExchangeTasker.Protocol;
using RabbitMQ.Client;
using Serilog;

namespace DataExchangeTasker.Messaging;

/// <summary>
/// Sends a done message to <c>tasker_done</c> (persistent, JSON, correlation id = taskId) until confirmed, cut to fit
/// <c>TASKER_MAX_MESSAGE_SIZE</c> (or the broker's own limit, learnt from its refusal) and, when the start message
/// asked with <c>reply_to</c>, hands a copy with the start message's correlation id to the <see cref="ReplyCopier"/>
/// (sent later, a bounded number of attempts: the answer is already safe on <c>tasker_done</c>).
/// </summary>
internal sealed class DonePublisher(ConfirmedPublisher publisher, ReplyCopier replies, MessagingOptions options, TaskMetrics metrics, ILogger log, bool doneV02 = false) : IDonePublisher
{
    // Room the broker's limit must leave (it counts the body only; this covers rounding in what it reports).
    private const long Headroom = 1024;

    // One refusal teaches the limit; a second one means the broker's limit changed meanwhile.
    private const int MaxRefusals = 3;

    private long _limit = options.MaxMessageSizeBytes;

    /// <summary>The clock of the done message's AMQP timestamp (the tasker's).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <inheritdoc />
    public async Task PublishAsync(DoneMessage done, InboundDelivery request, string? traceParent, CancellationToken cancellationToken)
    {
        var properties = Properties(done.TaskId, traceParent, Time);
        // With declared topology the done exchange exists and other services may bind to it; otherwise
        // the default exchange reaches the queue whatever else exists.
        var exchange = options.DeclareTopology ? options.DoneQueue : "";
        byte[] body;
        for (var refusals = 0; ; refusals++)
        {
            var limit = Interlocked.Read(ref _limit);
            (var fitted, body, var trimmed) = DoneMessageFitter.Fit(done, limit);
            if (doneV02)
            {
                // TASKER_DONE_FORMAT=v0.2: the original's later shape, from the same (fitted) answer.
                body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(Protocol.V02DoneConverter.From(fitted), Protocol.V02JsonContext.Default.V02Message);
            }

            if (trimmed)
            {
                metrics.AnswerTrimmed();
                log.ForContext("TaskId", done.TaskId).Warning(
                    "Task {TaskId:l}: done message cut to {Bytes} bytes to fit the message size limit ({Limit} bytes); truncated flags set", done.TaskId, body.Length, limit);
            }

            try
            {
                await publisher.PublishAsync(exchange, options.DoneQueue, mandatory: true, properties, body, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (MessageTooLargeException e) when (refusals < MaxRefusals)
            {
                var learnt = Math.Max(Headroom, Math.Min(limit, e.BrokerLimit ?? limit / 2) - Headroom);
                Interlocked.Exchange(ref _limit, learnt);
                log.Warning("The broker refused a {Bytes}-byte done message ({Error}); sending done messages of at most {Limit} bytes from now on. " +
                    "Set TASKER_MAX_MESSAGE_SIZE below the broker's max_message_size.", body.Length, e.Message, learnt);
            }
        }

        if (request.ReplyTo is { Length: > 0 } replyTo)
        {
            // Not mandatory: the requester may have given up and deleted its reply queue.
            replies.Enqueue(done.TaskId, replyTo, Properties(request.CorrelationId ?? done.TaskId, traceParent, Time), body);
        }
    }

    private static BasicProperties Properties(string correlationId, string? traceParent, TimeProvider time)
    {
        var properties = new BasicProperties
        {
            Persistent = true,
            ContentType = "application/json",
            ContentEncoding = "utf-8",
            CorrelationId = correlationId,
            Timestamp = new AmqpTimestamp(time.GetUtcNow().ToUnixTimeSeconds()),
            Type = "tasker.done",
        };
        if (traceParent is not null)
        {
            properties.Headers = new Dictionary<string, object?> { ["traceparent"] = traceParent };
        }

        return properties;
    }
}
