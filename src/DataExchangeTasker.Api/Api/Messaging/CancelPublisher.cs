using System.Text.Json;
using DataExchangeTasker.Messaging;
using RabbitMQ.Client;

namespace DataExchangeTasker.Api.Messaging;

/// <summary>Publishes <c>{"cancel": "&lt;taskId&gt;"}</c> to the fanout exchange every worker binds a queue to.</summary>
internal sealed class CancelPublisher(ConfirmedPublisher publisher)
{
    /// <summary>Publishes the cancel and waits for the confirm (at most <see cref="StartPublisher.Deadline"/>).</summary>
    public async Task PublishAsync(string taskId, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(StartPublisher.Deadline);
        var body = JsonSerializer.SerializeToUtf8Bytes(new CancelMessage(taskId), ApiJson.Context.CancelMessage);
        var properties = new BasicProperties { Persistent = true, ContentType = "application/json", CorrelationId = taskId, Type = "tasker.cancel" };
        // Not mandatory: with no worker bound the cancel has nobody to reach, which is not an error of the request.
        await publisher.PublishAsync(ControlExchanges.ControlExchange, "", mandatory: false, properties, body, deadline.Token).ConfigureAwait(false);
    }
}

/// <summary>The control message of the cancel protocol.</summary>
/// <param name="Cancel">The taskId to cancel.</param>
internal sealed record CancelMessage(string Cancel);
