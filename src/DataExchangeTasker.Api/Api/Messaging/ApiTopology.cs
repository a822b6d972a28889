using Serilog;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Messaging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace DataExchangeTasker.Api.Messaging;

/// <summary>
/// What the api adds to the worker's <see cref="Topology"/>: its store's own durable copy of the done messages
/// (<c>&lt;done&gt;.api.&lt;store id&gt;</c>, bound to the done exchange; api processes on one store consume it as
/// competing consumers, stores never share one), the cancel fanout exchange <c>tasker_control</c>, and the store's own
/// durable copy of the progress messages (<c>tasker_progress.api.&lt;store id&gt;</c>, bound to the exchange
/// <c>tasker_progress</c>). Exchanges that exist are used as they are, whatever their type.
/// The fixed queues of earlier versions, <c>&lt;done&gt;.api</c> and <c>tasker_progress.api</c>, are retired by
/// <see cref="LegacyCopyQueueRetirement"/>: every store's done queue is also bound to the fanout exchange
/// <c>&lt;done&gt;.api.legacy</c>, through which what was left in the old done queue reaches every store.
/// </summary>
internal sealed class ApiTopology(MessagingOptions options, string storeId, ILogger log)
{
    /// <summary>This store's queue of done messages.</summary>
    public string DoneCopyQueue => options.DoneQueue + ".api." + storeId;

    /// <summary>The fixed queue every store shared before version 2 (retired).</summary>
    public string LegacyDoneCopyQueue => options.DoneQueue + ".api";

    /// <summary>The fanout exchange through which the retired queue's messages reach every store's queue.</summary>
    public string LegacyExchange => options.DoneQueue + ".api.legacy";

    /// <summary>This store's queue of progress messages (one shared queue gave a store's progress to another store's api, which dropped it).</summary>
    public string ProgressCopyQueue => ControlExchanges.ProgressExchange + ".api." + storeId;

    /// <summary>The fixed progress queue every store shared before this version (retired).</summary>
    public const string LegacyProgressCopyQueue = ControlExchanges.ProgressExchange + ".api";

    /// <summary>Declares the worker's topology, then the api's.</summary>
    public async Task DeclareAsync(IConnection connection, CancellationToken cancellationToken)
    {
        await new Topology(options, log).DeclareAsync(connection, cancellationToken).ConfigureAwait(false);
        await ControlExchanges.EnsureExchangeAsync(connection, ControlExchanges.ControlExchange, ExchangeType.Fanout, cancellationToken).ConfigureAwait(false);
        // Same shape as the worker's todo/done exchanges: a durable direct exchange routed by its own name.
        await ControlExchanges.EnsureExchangeAsync(connection, ControlExchanges.ProgressExchange, ExchangeType.Direct, cancellationToken).ConfigureAwait(false);
        await ControlExchanges.EnsureExchangeAsync(connection, LegacyExchange, ExchangeType.Fanout, cancellationToken).ConfigureAwait(false);
        await CopyQueueAsync(connection, DoneCopyQueue, options.DoneQueue, options.DoneQueue, cancellationToken).ConfigureAwait(false);
        await BindAsync(connection, DoneCopyQueue, LegacyExchange, "", cancellationToken).ConfigureAwait(false);
        await CopyQueueAsync(connection, ProgressCopyQueue, ControlExchanges.ProgressExchange, ControlExchanges.ProgressExchange, cancellationToken).ConfigureAwait(false);
    }

    private async Task CopyQueueAsync(IConnection connection, string queue, string exchange, string routingKey, CancellationToken cancellationToken)
    {
        var arguments = options.QueueType == "quorum" ? new Dictionary<string, object?> { ["x-queue-type"] = "quorum" } : null;
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode is 404 or 406)
        {
            throw Mismatch(queue, exchange, e);
        }

        await BindAsync(connection, queue, exchange, routingKey, cancellationToken).ConfigureAwait(false);
    }

    private async Task BindAsync(IConnection connection, string queue, string exchange, string routingKey, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            await channel.QueueBindAsync(queue, exchange, routingKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode is 404 or 406)
        {
            throw Mismatch(queue, exchange, e);
        }
    }

    private TopologyMismatchException Mismatch(string queue, string exchange, OperationInterruptedException e) => new(
        $"Could not declare the api's queue \"{queue}\" bound to exchange \"{exchange}\": {e.ShutdownReason!.ReplyText}. " +
        $"The queue is durable with TASKER_QUEUE_TYPE={options.QueueType}; the exchange must exist (the worker declares it with TASKER_DECLARE_TOPOLOGY=true).", e);
}
