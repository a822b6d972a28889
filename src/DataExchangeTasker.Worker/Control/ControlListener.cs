using System.Text.Json;
using DataExchangeTasker.Messaging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Serilog;

namespace DataExchangeTasker.Control;

/// <summary>
/// Takes cancel messages (<c>{"cancel": "&lt;taskId&gt;"}</c>) from the fanout exchange <c>tasker_control</c> through
/// this tasker's own durable queue <c>tasker_control.&lt;TASKER_ID&gt;</c> (so cancels sent while it restarts wait for
/// it; the queue expires after <c>TASKER_CANCEL_MEMORY</c> without a consumer). A message is acknowledged once the
/// cancel is remembered on disk.
/// </summary>
internal sealed class ControlListener(TaskCancellations cancellations, string taskerId, TimeSpan queueExpiry, bool quorum, ILogger log) : IAsyncDisposable
{
    private IChannel? _channel;

    /// <summary>The queue this tasker takes its cancels from.</summary>
    public string QueueName { get; } = ControlExchanges.ControlExchange + "." + taskerId;

    /// <summary>Declares the exchange (if missing) and the queue, and starts consuming. Again after a failure: on a new channel.</summary>
    public async Task StartAsync(IConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (_channel is { } earlier)
        {
            // An earlier attempt that failed half-way (e.g. past the RPC timeout): its channel is of no further use.
            _channel = null;
            await earlier.DisposeAsync().ConfigureAwait(false);
        }

        await ControlExchanges.EnsureExchangeAsync(connection, ControlExchanges.ControlExchange, ExchangeType.Fanout, cancellationToken).ConfigureAwait(false);
        _channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var arguments = new Dictionary<string, object?> { ["x-expires"] = (long)queueExpiry.TotalMilliseconds };
        if (quorum)
        {
            // On a cluster (TASKER_QUEUE_TYPE=quorum) a classic queue lives on one node and is gone while that node is.
            arguments["x-queue-type"] = "quorum";
        }

        await _channel.QueueDeclareAsync(QueueName, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken).ConfigureAwait(false);
        await _channel.QueueBindAsync(QueueName, ControlExchanges.ControlExchange, "", cancellationToken: cancellationToken).ConfigureAwait(false);
        await _channel.BasicQosAsync(0, 32, false, cancellationToken).ConfigureAwait(false);
        var consumer = new AsyncEventingBasicConsumer(_channel);
        consumer.ReceivedAsync += OnReceivedAsync;
        await _channel.BasicConsumeAsync(QueueName, autoAck: false, consumer, cancellationToken).ConfigureAwait(false);
        log.Information("Taking cancels from {Queue:l}", QueueName);
    }

    /// <summary>The taskId of a cancel message, or null when the body is not one.</summary>
    public static string? TaskIdOf(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("cancel", out var id)
                && id.ValueKind == JsonValueKind.String
                && id.GetString() is { Length: > 0 } taskId ? taskId : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task OnReceivedAsync(object sender, BasicDeliverEventArgs args)
    {
        var channel = ((AsyncEventingBasicConsumer)sender).Channel;
        var taskId = TaskIdOf(args.Body.Span);
        if (taskId is null)
        {
            log.Warning("Ignoring a control message that is not {{\"cancel\": \"<taskId>\"}}");
        }
        else
        {
            var running = cancellations.Cancel(taskId);
            log.Information("Cancel of task {TaskId:l} received ({State:l})", taskId, running ? "running here: stopping it" : "remembered for when it is taken");
        }

        await channel.BasicAckAsync(args.DeliveryTag, multiple: false, args.CancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_channel is not null)
        {
            await _channel.DisposeAsync().ConfigureAwait(false);
        }
    }
}
