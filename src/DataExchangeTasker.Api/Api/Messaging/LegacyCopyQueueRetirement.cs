using DataExchangeTasker.Messaging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Serilog;

namespace DataExchangeTasker.Api.Messaging;

/// <summary>
/// Retires the fixed copy queue <c>&lt;done&gt;.api</c> that every store shared before version 2 (and so stole each
/// other's answers): once this store's own queue is bound, the old queue is unbound from the done exchange (it gets
/// nothing new), what is left in it is republished, with confirms, to the fanout exchange <c>&lt;done&gt;.api.legacy</c>
/// that every upgraded store's queue is bound to (each stores its own answers and counts the others'), and the old
/// queue is deleted once empty and without consumers. Bounded: at most the messages it held when this began.
/// The shared progress queue <c>tasker_progress.api</c> is unbound and deleted (unless an earlier api still consumes
/// it): progress only moves a task to <c>running</c>, which its done message settles anyway.
/// </summary>
internal sealed class LegacyCopyQueueRetirement(ApiTopology topology, string doneExchange, ConfirmedPublisher publisher, ILogger log)
{
    /// <summary>Does the above if the old queue exists; returns how many messages were moved.</summary>
    public async Task<int> RetireAsync(IConnection connection, CancellationToken cancellationToken)
    {
        var queue = topology.LegacyDoneCopyQueue;
        uint waiting;
        await using (var probe = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            try
            {
                waiting = (await probe.QueueDeclarePassiveAsync(queue, cancellationToken).ConfigureAwait(false)).MessageCount;
            }
            catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
            {
                return 0;
            }
        }

        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueUnbindAsync(queue, doneExchange, doneExchange, cancellationToken: cancellationToken).ConfigureAwait(false);
        var moved = 0;
        for (var i = 0; i < waiting; i++)
        {
            var message = await channel.BasicGetAsync(queue, autoAck: false, cancellationToken).ConfigureAwait(false);
            if (message is null)
            {
                break;
            }

            await publisher.PublishAsync(topology.LegacyExchange, "", mandatory: false, new BasicProperties(message.BasicProperties), message.Body, cancellationToken).ConfigureAwait(false);
            await channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken).ConfigureAwait(false);
            moved++;
        }

        try
        {
            await channel.QueueDeleteAsync(queue, ifUnused: true, ifEmpty: true, cancellationToken: cancellationToken).ConfigureAwait(false);
            log.Warning("Retired the shared copy queue {Queue:l}: unbound, {Moved} messages handed to every store's own queue through {Exchange:l}, deleted",
                queue, moved, topology.LegacyExchange);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 406)
        {
            log.Warning("The shared copy queue {Queue:l} is unbound and {Moved} of its messages were handed on, but it is not deleted: {Error} " +
                "(an api of an earlier version still consumes it; upgrade it)", queue, moved, e.ShutdownReason.ReplyText);
        }

        return moved;
    }

    /// <summary>Unbinds and deletes the shared progress queue if it exists and no earlier api consumes it.</summary>
    public async Task RetireProgressQueueAsync(IConnection connection, CancellationToken cancellationToken)
    {
        const string queue = ApiTopology.LegacyProgressCopyQueue;
        await using (var probe = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await probe.QueueDeclarePassiveAsync(queue, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
            {
                return;
            }
        }

        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueUnbindAsync(queue, ControlExchanges.ProgressExchange, ControlExchanges.ProgressExchange, cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            var dropped = await channel.QueueDeleteAsync(queue, ifUnused: true, ifEmpty: false, cancellationToken: cancellationToken).ConfigureAwait(false);
            log.Warning("Retired the shared progress queue {Queue:l}: unbound and deleted with {Dropped} progress messages (their tasks' done messages settle them)",
                queue, dropped);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 406)
        {
            log.Warning("The shared progress queue {Queue:l} is unbound but not deleted: {Error} (an api of an earlier version still consumes it; upgrade it)",
                queue, e.ShutdownReason.ReplyText);
        }
    }
}
