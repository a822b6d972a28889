using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Serilog;

namespace DataExchangeTasker.Messaging;

/// <summary>
/// Publishes with publisher confirms on its own channel and keeps retrying until the broker confirmed
/// (the client does not buffer while it recovers). The caller acknowledges the start message only after.
/// </summary>
public sealed class ConfirmedPublisher(AmqpConnector connector, ILogger log) : IAsyncDisposable
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);
    private readonly SemaphoreSlim _channelLock = new(1, 1);
    private IChannel? _channel;

    /// <summary>Publishes one message and returns once the broker confirmed it; retries across outages until cancelled.</summary>
    public async Task PublishAsync(string exchange, string routingKey, bool mandatory, BasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var channel = await GetChannelAsync(cancellationToken).ConfigureAwait(false);
                await channel.BasicPublishAsync(exchange, routingKey, mandatory, properties, body, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or PublishException or IOException or InvalidOperationException or BrokerUnreachableException)
            {
                if (attempt == 1 || attempt % 10 == 0)
                {
                    log.Warning("Publishing to {Exchange:l}/{RoutingKey:l} failed (attempt {Attempt}): {Error}; the message is kept and retried",
                        exchange.Length == 0 ? "(default)" : exchange, routingKey, attempt, e.Message);
                }

                await ResetChannelAsync(e is PublishException).ConfigureAwait(false);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    private async Task<IChannel> GetChannelAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } open)
        {
            return open;
        }

        await _channelLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_channel is { IsOpen: true } again)
            {
                return again;
            }

            if (_channel is not null)
            {
                await _channel.DisposeAsync().ConfigureAwait(false);
            }

            _channel = await connector.Connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
                cancellationToken).ConfigureAwait(false);
            return _channel;
        }
        finally
        {
            _channelLock.Release();
        }
    }

    private async Task ResetChannelAsync(bool keepOpenChannel)
    {
        // A returned (unroutable) message leaves the channel usable; anything else may have broken it.
        if (keepOpenChannel || _channel is not { IsOpen: false })
        {
            return;
        }

        await _channelLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_channel is { IsOpen: false } broken)
            {
                _channel = null;
                await broken.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _channelLock.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_channel is { } channel)
        {
            await channel.DisposeAsync().ConfigureAwait(false);
        }

        _channelLock.Dispose();
    }
}
