using System.Text.Json;
using DataExchangeTasker.Api.Store;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Protocol;
using RabbitMQ.Client;

namespace DataExchangeTasker.Api.Messaging;

/// <summary>Publishes a stored task's start message to the todo queue and waits for the broker's confirm.</summary>
internal sealed class StartPublisher(ConfirmedPublisher publisher, MessagingOptions options)
{
    /// <summary>How long one publish may take before the caller gives up (the task stays stored and is retried).</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    /// <summary>Publishes <paramref name="task"/> (default exchange, routing key = todo queue, persistent, correlation id = taskId).</summary>
    public async Task PublishAsync(TaskRow task, CancellationToken cancellationToken)
    {
        var message = new StartMessage(
            task.TaskId,
            task.CodePath ?? "",
            task.DataPath ?? "",
            task.CodeHash is null ? null : new CodeHash(task.CodeHash),
            task.LimitsJson is null ? null : JsonSerializer.Deserialize(task.LimitsJson, ApiJson.Context.TaskLimits),
            task.Image);
        var properties = new BasicProperties
        {
            Persistent = true,
            ContentType = "application/json",
            CorrelationId = task.TaskId,
            Type = "tasker.start",
        };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Deadline);
        await publisher.PublishAsync("", options.TodoQueue, mandatory: true, properties,
            JsonSerializer.SerializeToUtf8Bytes(message, ProtocolJsonContext.Default.StartMessage), deadline.Token).ConfigureAwait(false);
    }
}
