using DataExchangeTasker.Resilience;
using Polly;
using Polly.Retry;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Serilog;

namespace DataExchangeTasker.Messaging;

/// <summary>
/// Publishes with publisher confirms on its own channel, retrying across outages (the client does not buffer while
/// it recovers): until confirmed (<see cref="RetryPipelines.ConfirmedPublish"/>), or a bounded number of times
/// (<see cref="RetryPipelines.ReplyPublish"/>). The caller acknowledges the start message only after.
/// </summary>
public sealed class ConfirmedPublisher : IAsyncDisposable
{
    private static readonly ResiliencePropertyKey<string> TargetKey = new("tasker.publish-target");
    private readonly SemaphoreSlim _channelLock = new(1, 1);
    private readonly AmqpConnector _connector;
    private readonly ILogger _log;
    private readonly ResiliencePipeline _untilConfirmed;
    private readonly ResiliencePipeline _bounded;
    private IChannel? _channel;

    /// <summary>Creates the publisher; <paramref name="unbounded"/> and <paramref name="bounded"/> default to the shapes in <see cref="RetryPipelines"/>.</summary>
    public ConfirmedPublisher(AmqpConnector connector, ILogger log, RetryShape? unbounded = null, RetryShape? bounded = null, TimeProvider? time = null)
    {
        _connector = connector;
        _log = log;
        _untilConfirmed = RetryPipelines.Build(unbounded ?? RetryPipelines.ConfirmedPublish, IsRetryable, OnRetryAsync, time);
        _bounded = RetryPipelines.Build(bounded ?? RetryPipelines.ReplyPublish, IsRetryable, OnRetryAsync, time);
    }

    /// <summary>Publishes one message and returns once the broker confirmed it; retries across outages until cancelled.</summary>
    public async Task PublishAsync(string exchange, string routingKey, bool mandatory, BasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        await PublishWithAsync(_untilConfirmed, exchange, routingKey, mandatory, properties, body, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Publishes one message with a bounded number of retries; returns false (after logging) when the broker
    /// never confirmed it, true once it did.
    /// </summary>
    public async Task<bool> TryPublishAsync(string exchange, string routingKey, bool mandatory, BasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        try
        {
            await PublishWithAsync(_bounded, exchange, routingKey, mandatory, properties, body, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (IsRetryable(e))
        {
            _log.Warning("Gave up publishing to {Exchange:l}/{RoutingKey:l}: {Error}", ExchangeName(exchange), routingKey, e.Message);
            return false;
        }
    }

    private async Task PublishWithAsync(ResiliencePipeline retry, string exchange, string routingKey, bool mandatory, BasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(TargetKey, ExchangeName(exchange) + "/" + routingKey);
        try
        {
            await retry.ExecuteAsync(async ctx =>
            {
                var channel = await GetChannelAsync(ctx.CancellationToken).ConfigureAwait(false);
                try
                {
                    await channel.BasicPublishAsync(exchange, routingKey, mandatory, properties, body, ctx.CancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (TooLarge(e, channel) is { } tooLarge)
                {
                    // The same bytes would be refused forever: not retried; the caller sends something smaller.
                    throw tooLarge;
                }
            }, context).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>The broker's refusal of a message over its <c>max_message_size</c>, if that is what closed the channel.</summary>
    private static MessageTooLargeException? TooLarge(Exception e, IChannel channel)
    {
        var reason = (e as OperationInterruptedException)?.ShutdownReason ?? channel.CloseReason;
        if (reason is not { ReplyCode: 406 } || !reason.ReplyText.Contains("max size", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        // RabbitMQ: "PRECONDITION_FAILED - message size 712345 is larger than configured max size 262144".
        var match = System.Text.RegularExpressions.Regex.Match(reason.ReplyText, @"max size (\d+)");
        long? limit = match.Success && long.TryParse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
        return new MessageTooLargeException(limit, reason.ReplyText, e);
    }

    private static bool IsRetryable(Exception e) =>
        e is AlreadyClosedException or OperationInterruptedException or PublishException or IOException or InvalidOperationException or BrokerUnreachableException;

    private static string ExchangeName(string exchange) => exchange.Length == 0 ? "(default)" : exchange;

    private async ValueTask OnRetryAsync(OnRetryArguments<object> args)
    {
        var e = args.Outcome.Exception!;
        var attempt = args.AttemptNumber + 1;
        if (attempt == 1 || attempt % 10 == 0)
        {
            _log.Warning("Publishing to {Target:l} failed (attempt {Attempt}): {Error}; the message is kept and retried",
                args.Context.Properties.GetValue(TargetKey, "?"), attempt, e.Message);
        }

        await ResetChannelAsync(e is PublishException).ConfigureAwait(false);
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

            _channel = await _connector.Connection.CreateChannelAsync(
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
