using DataExchangeTasker.Configuration;
using DataExchangeTasker.Messaging;
using RabbitMQ.Client.Exceptions;
using Serilog;

namespace DataExchangeTasker.Api.Messaging;

/// <summary>
/// The api's side of the broker, brought up in the background so that HTTP never waits for it: connects (retrying
/// with a capped backoff until stopped, the last error kept for <c>/health/ready</c>), declares the topology, starts
/// the done and progress consumers and retires the old shared copy queue. Later connection losses are recovered by
/// the client (channels and consumers included). Until <see cref="IsReady"/>, submits stay in the store (the outbox).
/// </summary>
internal sealed class BrokerLink : IAsyncDisposable
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(5);
    private readonly MessagingOptions _options;
    private readonly ApiTopology _topology;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly Func<ReadOnlyMemory<byte>, CancellationToken, Task> _onDone;
    private readonly Func<ReadOnlyMemory<byte>, CancellationToken, Task> _onProgress;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CopyQueueConsumer? _done;
    private CopyQueueConsumer? _progress;
    private volatile string? _lastError;
    private volatile bool _declared;

    public BrokerLink(MessagingOptions options, string instanceId, ApiTopology topology, Func<ReadOnlyMemory<byte>, CancellationToken, Task> onDone,
        Func<ReadOnlyMemory<byte>, CancellationToken, Task> onProgress, ILogger log, TimeProvider time)
    {
        _options = options;
        _topology = topology;
        _onDone = onDone;
        _onProgress = onProgress;
        _log = log;
        _time = time;
        Connector = new AmqpConnector(options, "tasker-api " + instanceId, log, time);
        Publisher = new ConfirmedPublisher(Connector, log, time: time);
    }

    public AmqpConnector Connector { get; }

    /// <summary>Publishes with confirms on the link's connection (retries while it recovers).</summary>
    public ConfirmedPublisher Publisher { get; }

    /// <summary>Connected, topology declared, consumers started.</summary>
    public bool IsReady => _declared && Connector.IsConnected;

    /// <summary>Completes the first time the link is ready.</summary>
    public Task Ready => _ready.Task;

    public bool DoneConsumerUp => _done?.IsSubscribed == true;

    public bool ProgressConsumerUp => _progress?.IsSubscribed == true;

    /// <summary>The broker as <c>/health/ready</c> names it: its address (no password) and, while down, why.</summary>
    public string Describe() =>
        IsReady ? "up: " + AmqpConnector.Describe(_options)
        : $"down: {AmqpConnector.Describe(_options)} {(_lastError is { } e ? "unreachable: " + e : Connector.IsRecovering ? "recovering" : "connecting")}";

    /// <summary>Brings the link up; returns once it is (or when <paramref name="cancellationToken"/> fires).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var delay = FirstRetry;
        var attempt = 0;
        RabbitMQ.Client.IConnection? connection = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            attempt++;
            try
            {
                // Once connected, the client recovers the connection itself: only the declaration is tried again.
                connection ??= await Connector.ConnectAsync(cancellationToken, attempts: 1).ConfigureAwait(false);
                await _topology.DeclareAsync(connection, cancellationToken).ConfigureAwait(false);
                _done = new CopyQueueConsumer(Connector, _topology.DoneCopyQueue, 64, _onDone, _log);
                _progress = new CopyQueueConsumer(Connector, _topology.ProgressCopyQueue, 64, _onProgress, _log);
                await _done.StartAsync(cancellationToken).ConfigureAwait(false);
                await _progress.StartAsync(cancellationToken).ConfigureAwait(false);
                _declared = true;
                _lastError = null;
                _ready.TrySetResult();
                await RetireLegacyQueueAsync(connection, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is BrokerUnreachableException or TopologyMismatchException or OperationInterruptedException or AlreadyClosedException or IOException)
            {
                _lastError = e.InnerException?.Message ?? e.Message;
                if (attempt == 1 || attempt % 20 == 0)
                {
                    _log.Warning("Broker {Broker:l} not usable yet (attempt {Attempt}): {Error}; submits are stored and published once it is",
                        AmqpConnector.Describe(_options), attempt, _lastError);
                }

                await DisposeConsumersAsync().ConfigureAwait(false);
            }

            try
            {
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetry.Ticks));
        }
    }

    private async Task RetireLegacyQueueAsync(RabbitMQ.Client.IConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            var retirement = new LegacyCopyQueueRetirement(_topology, _options.DoneQueue, Publisher, _log);
            await retirement.RetireAsync(connection, cancellationToken).ConfigureAwait(false);
            await retirement.RetireProgressQueueAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationInterruptedException or AlreadyClosedException or IOException)
        {
            // What is left stays in the old queue (unbound): the next start of an api tries again.
            _log.Warning("Could not retire the shared copy queue {Queue:l}: {Error}; tried again at the next start", _topology.LegacyDoneCopyQueue, e.Message);
        }
    }

    private async Task DisposeConsumersAsync()
    {
        if (_done is not null)
        {
            await _done.DisposeAsync().ConfigureAwait(false);
            _done = null;
        }

        if (_progress is not null)
        {
            await _progress.DisposeAsync().ConfigureAwait(false);
            _progress = null;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await DisposeConsumersAsync().ConfigureAwait(false);
        await Publisher.DisposeAsync().ConfigureAwait(false);
        await Connector.DisposeAsync().ConfigureAwait(false);
    }
}
