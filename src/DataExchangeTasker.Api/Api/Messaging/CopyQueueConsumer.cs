using DataExchangeTasker.Messaging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Serilog;

namespace DataExchangeTasker.Api.Messaging;

/// <summary>
/// Consumes one of the api's copy queues with manual acks: a message is acknowledged only after
/// <paramref name="handle"/> stored it, and requeued (after a pause) when the store failed, so nothing is lost while
/// the database is away. Several api processes consuming the same queue compete; the store's idempotent writes make a
/// redelivered message harmless. The client's automatic recovery re-registers the consumer after a connection loss.
/// </summary>
internal sealed class CopyQueueConsumer(AmqpConnector connector, string queue, ushort prefetch, Func<ReadOnlyMemory<byte>, CancellationToken, Task> handle, ILogger log)
    : IAsyncDisposable
{
    private static readonly TimeSpan PauseAfterFailure = TimeSpan.FromSeconds(1);
    private readonly CancellationTokenSource _stopping = new();
    private IChannel? _channel;

    /// <summary>True while the consumer's channel is open on a connected broker.</summary>
    public bool IsSubscribed => _channel is { IsOpen: true } && connector.IsConnected;

    /// <summary>Opens the channel and starts consuming.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var channel = await connector.Connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.BasicQosAsync(0, prefetch, global: false, cancellationToken).ConfigureAwait(false);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            var token = _stopping.Token;
            try
            {
                await handle(delivery.Body, token).ConfigureAwait(false);
                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not (AlreadyClosedException or OperationInterruptedException) && !token.IsCancellationRequested)
            {
                log.Warning("Could not store a message from {Queue:l}: {Error}; it is requeued", queue, e.Message);
                try
                {
                    await Task.Delay(PauseAfterFailure, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Stopping: the nack below (or the closing channel) returns the message to the queue.
                }

                await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true, CancellationToken.None).ConfigureAwait(false);
            }
        };
        await channel.BasicConsumeAsync(queue, autoAck: false, consumer, cancellationToken).ConfigureAwait(false);
        _channel = channel;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_channel is { } channel)
        {
            try
            {
                await channel.CloseAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException or TimeoutException)
            {
                log.Debug("Channel of {Queue:l} was already closed: {Error}", queue, e.Message);
            }

            await channel.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }
}
