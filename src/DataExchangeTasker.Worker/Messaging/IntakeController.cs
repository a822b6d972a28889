using System.Text;
using System.Threading.Channels;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Health;
using DataExchangeTasker.Resilience;
using Polly;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Serilog;

namespace DataExchangeTasker.Messaging;

/// <summary>
/// The one owner of intake: decides whether the tasker consumes <c>tasker_todo</c> (engine and runner image up,
/// not draining) and owns the subscription's whole lifecycle: subscribe, pause, resume, replace a channel the broker
/// closed (e.g. consumer_timeout), stop at shutdown. Deliveries (manual ack, prefetch = concurrency) are copied into
/// <see cref="InboundDelivery"/> and handed to the pipeline's bounded channel, so the client's dispatcher is never
/// blocked by a running task.
/// </summary>
/// <remarks>
/// At most one consumer exists: while the client recovers a lost connection (it reopens the channel and re-registers
/// the consumer itself) nothing is touched; a channel the broker closed is closed here too before a new one is opened,
/// which also drops its recorded consumer so a later recovery cannot bring it back; and a subscribe that failed
/// (an RPC timeout may still have registered it at the broker) closes its channel before the next attempt.
/// </remarks>
internal sealed class IntakeController : IAsyncDisposable
{
    private readonly AmqpConnector _connector;
    private readonly MessagingOptions _options;
    private readonly ushort _prefetch;
    private readonly ChannelWriter<InboundDelivery> _intake;
    private readonly HealthState _health;
    private readonly ILogger _log;
    private readonly ResiliencePipeline _subscribeRetry;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private IChannel? _channel;
    private string? _consumerTag;

    /// <summary>Creates the owner; nothing is subscribed before <see cref="ReconcileAsync"/> or <see cref="RunAsync"/>.</summary>
    public IntakeController(AmqpConnector connector, MessagingOptions options, ushort prefetch, ChannelWriter<InboundDelivery> intake, HealthState health, ILogger log, RetryShape? subscribeRetry = null)
    {
        _connector = connector;
        _options = options;
        _prefetch = prefetch;
        _intake = intake;
        _health = health;
        _log = log;
        _subscribeRetry = RetryPipelines.Build(subscribeRetry ?? RetryPipelines.Subscribe, IsRetryable, args =>
        {
            _log.Warning("Subscribing to {Queue:l} failed (attempt {Attempt}): {Error}; retrying in {Delay}",
                _options.TodoQueue, args.AttemptNumber + 1, args.Outcome.Exception!.Message, args.RetryDelay);
            return ValueTask.CompletedTask;
        });
        connector.Recovered += Wake;
    }

    /// <summary>Time between decisions when nothing wakes the owner earlier (set by the composition root).</summary>
    public required TimeSpan Interval { get; init; }

    /// <summary>The clock <see cref="Interval"/> is measured on (the composition root's).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>True while a consumer is registered with the broker.</summary>
    public bool IsConsuming => _consumerTag is not null && _channel?.IsOpen == true && !_connector.IsRecovering;

    /// <summary>Asks for a decision now (engine state changed, channel closed, connection recovered).</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Decides until <paramref name="stopping"/>: every <see cref="Interval"/> and whenever woken.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await ReconcileAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested || _stop.IsCancellationRequested)
            {
                // Stopping.
            }
            catch (Exception e)
            {
                // Includes the client's RPC timeouts (an OperationCanceledException that is not ours): decide again later.
                _log.Warning("Intake decision failed, trying again: {Error}", e.Message);
            }

            try
            {
                await _wake.Reader.WaitToReadAsync(stopping).AsTask().WaitAsync(Interval, Time, stopping).ConfigureAwait(false);
                _wake.Reader.TryRead(out _);
            }
            catch (TimeoutException)
            {
                // Periodic decision.
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
        }
    }

    /// <summary>Makes the subscription match what is wanted now (retrying subscribe failures), and reports it.</summary>
    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        await _gate.WaitAsync(linked.Token).ConfigureAwait(false);
        try
        {
            await _subscribeRetry.ExecuteAsync(ReconcileOnceAsync, linked.Token).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
            Report();
        }
    }

    /// <summary>
    /// Stops taking new messages for good (shutdown), but keeps the channel open so tasks in flight can still be
    /// acknowledged on it. Messages prefetched but not yet taken go back to the queue when the channel closes.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await CancelConsumerAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRetryable(e))
        {
            _log.Warning("Could not cancel the consumer of {Queue:l}: {Error}; closing its channel returns its messages", _options.TodoQueue, e.Message);
        }
        finally
        {
            _gate.Release();
            Report();
        }
    }

    private bool Wanted => !_stop.IsCancellationRequested && !_health.Draining && _health.IsUp(HealthState.Engine) && _health.IsUp(HealthState.Image)
        && _health.IsNotDown(HealthState.Results);

    private async ValueTask ReconcileOnceAsync(CancellationToken cancellationToken)
    {
        if (!_connector.IsConnected)
        {
            // Not connected yet, or the client is recovering the connection with our channel and consumer: leave it be.
            return;
        }

        if (!Wanted)
        {
            if (IsConsuming)
            {
                _log.Warning("Docker engine or runner image unavailable; pausing intake until it is back");
            }

            await CancelConsumerAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        if (IsConsuming)
        {
            return;
        }

        if (_channel is not { IsOpen: true })
        {
            // Connected and not recovering, so a closed channel is closed for good (the broker closed it).
            await DiscardChannelAsync().ConfigureAwait(false);
            var channel = await _connector.Connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            channel.ChannelShutdownAsync += OnChannelShutdownAsync;
            _channel = channel;
            await channel.BasicQosAsync(0, _prefetch, global: false, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var consumer = new AsyncEventingBasicConsumer(_channel);
            consumer.ReceivedAsync += OnReceivedAsync;
            _consumerTag = await _channel.BasicConsumeAsync(_options.TodoQueue, autoAck: false, consumer, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // A consume whose answer never came may still be registered: closing the channel removes it at the broker.
            await DiscardChannelAsync().ConfigureAwait(false);
            throw;
        }

        _log.Information("Consuming {Queue:l} with prefetch {Prefetch}", _options.TodoQueue, _prefetch);
    }

    private async Task CancelConsumerAsync(CancellationToken cancellationToken)
    {
        if (_consumerTag is { } tag && _channel is { IsOpen: true } channel && !_connector.IsRecovering)
        {
            // Also forgets the consumer in the client, so a later recovery does not register it again.
            await channel.BasicCancelAsync(tag, noWait: false, cancellationToken).ConfigureAwait(false);
            _consumerTag = null;
            _log.Information("Stopped consuming {Queue:l}", _options.TodoQueue);
        }
    }

    private void Report()
    {
        var connected = _connector.IsConnected;
        _health.Report(HealthState.Broker, connected, connected ? "connected" : "disconnected");
        var consuming = IsConsuming;
        _health.Report(HealthState.Consumer, consuming, consuming ? "consuming" : "paused");
    }

    private async Task DiscardChannelAsync()
    {
        if (_channel is not { } old)
        {
            return;
        }

        _channel = null;
        _consumerTag = null;
        old.ChannelShutdownAsync -= OnChannelShutdownAsync;
        try
        {
            // Closing (even an already closed channel) removes it and its consumer from the client's recovery records.
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await old.CloseAsync(Constants.ReplySuccess, "replaced", abort: true, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRetryable(e))
        {
            _log.Debug("Closing the old consumer channel: {Error}", e.Message);
        }

        await old.DisposeAsync().ConfigureAwait(false);
    }

    private static bool IsRetryable(Exception e) =>
        e is AlreadyClosedException or OperationInterruptedException or IOException or TimeoutException or OperationCanceledException or ChannelAllocationException;

    private async Task OnReceivedAsync(object sender, BasicDeliverEventArgs e)
    {
        var props = e.BasicProperties;
        var channel = ((AsyncEventingBasicConsumer)sender).Channel;
        var delivery = new InboundDelivery(
            e.Body.ToArray(), e.Redelivered, props.ReplyTo, props.CorrelationId,
            HeaderText(props.Headers, "traceparent"), props.ContentType, new ChannelDeliverySettlement(channel, e.DeliveryTag, _log))
        {
            Headers = props.Headers is null ? null : new Dictionary<string, object?>(props.Headers),
        };
        // Bounded to the prefetch count, so a write only waits briefly; after shutdown closed the intake,
        // a late delivery goes straight back to the queue.
        try
        {
            if (!_intake.TryWrite(delivery))
            {
                await _intake.WriteAsync(delivery, e.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (ChannelClosedException)
        {
            await delivery.Settlement.RequeueAsync(e.CancellationToken).ConfigureAwait(false);
        }
    }

    private Task OnChannelShutdownAsync(object sender, ShutdownEventArgs e)
    {
        if (e.Initiator != ShutdownInitiator.Peer)
        {
            return Task.CompletedTask;
        }

        if (e.ReplyCode == 406 && e.ReplyText.Contains("timeout", StringComparison.OrdinalIgnoreCase))
        {
            _log.Error("The broker closed the consumer channel because a delivery stayed unacknowledged longer than its consumer_timeout " +
                "(RabbitMQ default 30 min): {ReplyText}. Its messages are requeued; the tasker adopts a still-running container instead of " +
                "running the code again. For long tasks raise consumer_timeout in rabbitmq.conf (e.g. consumer_timeout = 86400000).", e.ReplyText);
        }
        else
        {
            _log.Warning("The broker closed the consumer channel: {ReplyCode} {ReplyText}", e.ReplyCode, e.ReplyText);
        }

        Wake();
        return Task.CompletedTask;
    }

    private static string? HeaderText(IDictionary<string, object?>? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var value)
            ? value switch { byte[] bytes => Encoding.UTF8.GetString(bytes), string s => s, _ => null }
            : null;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _connector.Recovered -= Wake;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_channel is { } channel)
        {
            try
            {
                await channel.CloseAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException)
            {
                _log.Debug("Consumer channel already closed: {Error}", e.Message);
            }

            await channel.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
        _stop.Dispose();
    }
}
