using System.Text.Json;
using System.Threading.Channels;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Protocol;
using RabbitMQ.Client;
using Serilog;

namespace DataExchangeTasker.Control;

/// <summary>
/// Best-effort progress: <see cref="Report"/> never waits and never fails a task. Steps go, in order, through a
/// bounded buffer (the oldest dropped when full) to <c>tasker_progress</c> (<c>TASKER_PROGRESS=true</c>) and, with
/// <c>TASKER_DONE_FORMAT=v0.2</c>, as v0.2 Running messages to the done queue; each publish has a few bounded
/// attempts under a deadline.
/// </summary>
internal sealed class ProgressPublisher(ConfirmedPublisher publisher, MessagingOptions messaging, ControlOptions control, ILogger log)
{
    /// <summary>The clock of each progress message's stamp (the tasker's).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The durable queue declared (if missing) for progress messages.</summary>
    public const string ProgressQueue = ControlExchanges.ProgressExchange;

    private static readonly TimeSpan PublishDeadline = TimeSpan.FromSeconds(5);

    private readonly Channel<(string Exchange, string RoutingKey, byte[] Body)> _pending =
        Channel.CreateBounded<(string, string, byte[])>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    /// <summary>True when anything is published at all.</summary>
    public bool Enabled => control.Progress || control.DoneV02;

    /// <summary>Declares <c>tasker_progress</c> (durable direct) and its durable queue if missing.</summary>
    public async Task DeclareAsync(IConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (!control.Progress)
        {
            return;
        }

        await ControlExchanges.EnsureExchangeAsync(connection, ControlExchanges.ProgressExchange, ExchangeType.Direct, cancellationToken).ConfigureAwait(false);
        var arguments = messaging.QueueType == "quorum" ? new Dictionary<string, object?> { ["x-queue-type"] = "quorum" } : null;
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueDeclareAsync(ProgressQueue, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueBindAsync(ProgressQueue, ControlExchanges.ProgressExchange, ControlExchanges.ProgressExchange, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Queues the step for publishing; returns at once.</summary>
    public void Report(string taskId, ProgressStep step)
    {
        if (control.Progress)
        {
            var message = new ProgressMessage(taskId, step.ToString(), (int)step, Time.GetUtcNow());
            _pending.Writer.TryWrite((ControlExchanges.ProgressExchange, ControlExchanges.ProgressExchange, JsonSerializer.SerializeToUtf8Bytes(message, ControlJsonContext.Default.ProgressMessage)));
        }

        if (control.DoneV02)
        {
            var running = JsonSerializer.SerializeToUtf8Bytes(V02DoneConverter.Running(taskId, step), V02JsonContext.Default.V02Message);
            _pending.Writer.TryWrite((messaging.DeclareTopology ? messaging.DoneQueue : "", messaging.DoneQueue, running));
        }
    }

    /// <summary>Publishes until <see cref="Complete"/> and the buffer is empty, or <paramref name="cancellationToken"/>.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var (exchange, routingKey, body) in _pending.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                deadline.CancelAfter(PublishDeadline);
                var properties = new BasicProperties { ContentType = "application/json", ContentEncoding = "utf-8", Type = "tasker.progress", Persistent = true };
                try
                {
                    await publisher.TryPublishAsync(exchange, routingKey, mandatory: false, properties, body, deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    log.Warning("A progress message to {Exchange:l} was not confirmed within {Deadline}; dropped", exchange, PublishDeadline);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Aborted: what is left is progress only.
        }
    }

    /// <summary>No more steps: <see cref="RunAsync"/> ends once the buffer is empty.</summary>
    public void Complete() => _pending.Writer.TryComplete();
}
