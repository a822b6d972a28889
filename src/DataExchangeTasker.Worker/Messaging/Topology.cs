using DataExchangeTasker.Configuration;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Serilog;

namespace DataExchangeTasker.Messaging;

/// <summary>
/// Makes sure <c>tasker_todo</c> and <c>tasker_done</c> (each a queue bound to a direct exchange of the same name, so
/// the default exchange keeps working) and the dead-letter queue exist, declaring only what is missing.
/// </summary>
/// <remarks>
/// What exists is used as it is, whatever its durability or type, so the tasker starts on a broker that still holds
/// the Scala tasker's non-durable topology. An existing queue or exchange is re-declared with the shape it already
/// has (found by trying the known shapes, each on a channel of its own since a refused declaration closes it), so the
/// client's topology recovery brings a non-durable one back after a broker restart. Everything that costs
/// durability or replication is named in one warning at start-up. What is missing is declared durable (and of
/// <c>TASKER_QUEUE_TYPE</c>), or with <c>TASKER_LEGACY_TOPOLOGY=true</c> exactly as the original did: non-durable
/// queues and direct exchanges, which v0.1 clients can declare again with their defaults.
/// </remarks>
public sealed class Topology(MessagingOptions options, ILogger log)
{
    private static readonly QueueShape[] KnownQueueShapes =
        [QueueShape.DurableClassic, QueueShape.Original, QueueShape.DurableQuorum];

    /// <summary>Declares what is missing and uses what exists, or (with declaration off) checks that the queues exist.</summary>
    /// <exception cref="TopologyMismatchException">Declaration is off and a queue is missing.</exception>
    public async Task DeclareAsync(IConnection connection, CancellationToken cancellationToken)
    {
        if (!options.DeclareTopology)
        {
            foreach (var queue in new[] { options.TodoQueue, options.DoneQueue, options.DeadLetterQueue })
            {
                if (!await ExistsAsync(connection, queue, isQueue: true, cancellationToken).ConfigureAwait(false))
                {
                    throw new TopologyMismatchException(
                        $"Queue \"{queue}\" does not exist and TASKER_DECLARE_TOPOLOGY=false: create it, or let the tasker declare it.");
                }
            }

            return;
        }

        var losses = new List<string>();
        var wanted = options.LegacyTopology ? QueueShape.Original : QueueShape.Wanted(options.QueueType);
        foreach (var name in new[] { options.TodoQueue, options.DoneQueue })
        {
            losses.AddRange(await EnsureQueueAsync(connection, name, wanted, cancellationToken).ConfigureAwait(false));
            losses.AddRange(await EnsureExchangeAsync(connection, name, durable: !options.LegacyTopology, cancellationToken).ConfigureAwait(false));
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            // Idempotent; without it the tasker's own publishes to the exchange would come back unroutable.
            await channel.QueueBindAsync(name, name, name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        // The tasker's own queue, which no v0.1 client knows: durable in either mode.
        losses.AddRange(await EnsureQueueAsync(connection, options.DeadLetterQueue, QueueShape.Wanted(options.QueueType), cancellationToken).ConfigureAwait(false));

        if (losses.Count > 0)
        {
            log.Warning("The broker topology in use loses messages: {Losses:l}. Publishers of the Scala tasker also send " +
                "transient messages (delivery_mode=1), lost on a broker restart even on durable queues. {Migration:l}",
                string.Join("; ", losses), MigrationAdvice());
        }
    }

    private string MigrationAdvice() => options.LegacyTopology
        ? "TASKER_LEGACY_TOPOLOGY=true keeps the Scala tasker's non-durable topology on purpose, so v0.1 consumers that declare " +
          "tasker_done with their defaults keep working; to move to durable queues see \"Migrating from the Scala tasker\" in the README"
        : "To migrate (README \"Migrating from the Scala tasker\"): stop the publishers, the v0.1 listener and the taskers, let the " +
          $"queues drain, delete them (rabbitmqctl delete_queue {options.TodoQueue}; rabbitmqctl delete_queue {options.DoneQueue}; " +
          $"rabbitmqctl delete_exchange {options.TodoQueue}; rabbitmqctl delete_exchange {options.DoneQueue}) and start the tasker, " +
          "which declares them durable; change consumers to declare tasker_done durable (or passively) and publishers to " +
          "delivery_mode=2. Until the listener is changed, run with TASKER_LEGACY_TOPOLOGY=true instead";

    private static async Task<IEnumerable<string>> EnsureQueueAsync(IConnection connection, string name, QueueShape wanted, CancellationToken cancellationToken)
    {
        if (!await ExistsAsync(connection, name, isQueue: true, cancellationToken).ConfigureAwait(false)
            && await TryDeclareQueueAsync(connection, name, wanted, cancellationToken).ConfigureAwait(false))
        {
            return LossesOf(name, wanted, wanted);
        }

        // It exists (or someone declared it in between, otherwise): find its shape among the known ones.
        foreach (var shape in KnownQueueShapes.Prepend(wanted).Distinct())
        {
            if (await TryDeclareQueueAsync(connection, name, shape, cancellationToken).ConfigureAwait(false))
            {
                return LossesOf(name, shape, wanted);
            }
        }

        if (!await ExistsAsync(connection, name, isQueue: true, cancellationToken).ConfigureAwait(false))
        {
            throw new TopologyMismatchException($"Queue \"{name}\" could neither be declared nor found; see the broker's log.");
        }

        return [$"queue {name} has arguments the tasker does not know, so it is only looked up, not re-declared: if it is " +
                "non-durable and the broker restarts, the tasker must be restarted to declare it again"];
    }

    private static IEnumerable<string> LossesOf(string name, QueueShape existing, QueueShape wanted)
    {
        if (!existing.Durable)
        {
            yield return $"queue {name} is non-durable: it and every message in it are gone when the broker restarts (the tasker " +
                         "declares it again when it reconnects)";
        }

        if (wanted.Type == "quorum" && existing.Type != "quorum")
        {
            yield return $"queue {name} is a classic queue although TASKER_QUEUE_TYPE=quorum: it lives on one broker node and is " +
                         "unavailable (non-durable: lost) when that node goes down";
        }
    }

    private static async Task<IEnumerable<string>> EnsureExchangeAsync(IConnection connection, string name, bool durable, CancellationToken cancellationToken)
    {
        foreach (var shapeDurable in new[] { durable, !durable })
        {
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            try
            {
                await channel.ExchangeDeclareAsync(name, ExchangeType.Direct, shapeDurable, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
                return shapeDurable
                    ? []
                    : [$"exchange {name} is non-durable: it is gone after a broker restart until a client declares it again (the tasker does when it reconnects)"];
            }
            catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 406)
            {
                // Another shape; try the next.
            }
        }

        // Not a direct exchange (fanout, topic, ...): use it as it is; the binding below routes by the queue's name.
        return await ExistsAsync(connection, name, isQueue: false, cancellationToken).ConfigureAwait(false)
            ? [$"exchange {name} is not a direct exchange, so it is only looked up, not re-declared after a broker restart"]
            : throw new TopologyMismatchException($"Exchange \"{name}\" could neither be declared nor found; see the broker's log.");
    }

    private static async Task<bool> TryDeclareQueueAsync(IConnection connection, string name, QueueShape shape, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            await channel.QueueDeclareAsync(name, shape.Durable, exclusive: false, autoDelete: false, shape.Arguments(), cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 406)
        {
            return false;
        }
    }

    private static async Task<bool> ExistsAsync(IConnection connection, string name, bool isQueue, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            if (isQueue)
            {
                await channel.QueueDeclarePassiveAsync(name, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await channel.ExchangeDeclarePassiveAsync(name, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return false;
        }
    }

    /// <summary>A queue's durability and <c>x-queue-type</c> (null: the broker's default, classic).</summary>
    private sealed record QueueShape(bool Durable, string? Type)
    {
        /// <summary>What the Scala tasker (and pika's defaults) declared.</summary>
        public static QueueShape Original { get; } = new(false, null);

        public static QueueShape DurableClassic { get; } = new(true, null);

        public static QueueShape DurableQuorum { get; } = new(true, "quorum");

        public static QueueShape Wanted(string queueType) => queueType == "quorum" ? DurableQuorum : DurableClassic;

        public Dictionary<string, object?>? Arguments() => Type is null ? null : new() { ["x-queue-type"] = Type };
    }
}
