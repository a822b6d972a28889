using System.Text;
using System.Threading.Channels;
using DataExchangeTasker.Configuration;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Serilog;

namespace DataExchangeTasker.Messaging;

/// <summary>
/// Intake: consumes start messages with manual acks and prefetch = concurrency, copies each into an
/// <see cref="InboundDelivery"/> and hands it to the pipeline's bounded channel, so the client's dispatcher is
/// never blocked by a running task. Recreates its channel when the broker closes it (e.g. consumer_timeout).
/// </summary>
public sealed class TodoConsumer(AmqpConnector connector, MessagingOptions options, ushort prefetch, ChannelWriter<InboundDelivery> intake, ILogger log) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IChannel? _channel;
    private string? _consumerTag;
    private bool _wanted;

    /// <summary>True while a consumer is registered with the broker.</summary>
    public bool IsConsuming => _consumerTag is not null && _channel?.IsOpen == true;

    /// <summary>Starts (or resumes) consuming.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _wanted = true;
            if (_consumerTag is not null && _channel?.IsOpen == true)
            {
                return;
            }

            if (_channel is not { IsOpen: true })
            {
                _channel = await connector.Connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                _channel.ChannelShutdownAsync += OnChannelShutdownAsync;
                await _channel.BasicQosAsync(0, prefetch, global: false, cancellationToken).ConfigureAwait(false);
            }

            var consumer = new AsyncEventingBasicConsumer(_channel);
            consumer.ReceivedAsync += OnReceivedAsync;
            _consumerTag = await _channel.BasicConsumeAsync(options.TodoQueue, autoAck: false, consumer, cancellationToken).ConfigureAwait(false);
            log.Information("Consuming {Queue:l} with prefetch {Prefetch}", options.TodoQueue, prefetch);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Stops taking new messages but keeps the channel open, so tasks in flight can still be acknowledged on it.
    /// Messages prefetched but not yet taken go back to the queue when the channel closes.
    /// </summary>
    public async Task PauseAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _wanted = false;
            if (_consumerTag is { } tag && _channel is { IsOpen: true } channel)
            {
                await channel.BasicCancelAsync(tag, noWait: false, cancellationToken).ConfigureAwait(false);
                log.Information("Stopped consuming {Queue:l}", options.TodoQueue);
            }

            _consumerTag = null;
        }
        catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException)
        {
            _consumerTag = null;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task OnReceivedAsync(object sender, BasicDeliverEventArgs e)
    {
        var props = e.BasicProperties;
        var delivery = new InboundDelivery(
            e.Body.ToArray(), e.DeliveryTag, e.Redelivered, props.ReplyTo, props.CorrelationId,
            HeaderText(props.Headers, "traceparent"), props.ContentType, ((AsyncEventingBasicConsumer)sender).Channel)
        {
            Headers = props.Headers is null ? null : new Dictionary<string, object?>(props.Headers),
        };
        // Bounded to the prefetch count, so a write only waits briefly; after shutdown closed the intake,
        // a late delivery goes straight back to the queue.
        try
        {
            if (!intake.TryWrite(delivery))
            {
                await intake.WriteAsync(delivery, e.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (ChannelClosedException)
        {
            await delivery.Channel.BasicNackAsync(e.DeliveryTag, multiple: false, requeue: true, e.CancellationToken).ConfigureAwait(false);
        }
    }

    private Task OnChannelShutdownAsync(object sender, ShutdownEventArgs e)
    {
        if (e.Initiator != ShutdownInitiator.Peer)
        {
            return Task.CompletedTask;
        }

        _consumerTag = null;
        if (e.ReplyCode == 406 && e.ReplyText.Contains("timeout", StringComparison.OrdinalIgnoreCase))
        {
            log.Error("The broker closed the consumer channel because a delivery stayed unacknowledged longer than its consumer_timeout " +
                "(RabbitMQ default 30 min): {ReplyText}. Its messages are requeued; the tasker adopts a still-running container instead of " +
                "running the code again. For long tasks raise consumer_timeout in rabbitmq.conf (e.g. consumer_timeout = 86400000).", e.ReplyText);
        }
        else
        {
            log.Warning("The broker closed the consumer channel: {ReplyCode} {ReplyText}", e.ReplyCode, e.ReplyText);
        }

        // A channel the broker closed is not recovered by the client; open a new one once the connection is up.
        _ = Task.Run(ResubscribeAsync);
        return Task.CompletedTask;
    }

    private async Task ResubscribeAsync()
    {
        for (var attempt = 0; _wanted && attempt < 600; attempt++)
        {
            try
            {
                if (connector.IsConnected)
                {
                    await StartAsync(CancellationToken.None).ConfigureAwait(false);
                    return;
                }
            }
            catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException)
            {
                log.Warning("Re-subscribing to {Queue:l} failed: {Error}", options.TodoQueue, e.Message);
            }

            await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
    }

    private static string? HeaderText(IDictionary<string, object?>? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var value)
            ? value switch { byte[] bytes => Encoding.UTF8.GetString(bytes), string s => s, _ => null }
            : null;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _wanted = false;
        if (_channel is { } channel)
        {
            try
            {
                await channel.CloseAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException)
            {
                log.Debug("Consumer channel already closed: {Error}", e.Message);
            }

            await channel.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
    }
}
