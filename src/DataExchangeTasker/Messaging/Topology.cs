using DataExchangeTasker.Configuration;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace DataExchangeTasker.Messaging;

/// <summary>
/// Declares the durable exchanges and queues: <c>tasker_todo</c> and <c>tasker_done</c>, each a direct exchange
/// bound to the queue of the same name (so the default exchange keeps working), and the dead-letter queue.
/// </summary>
public sealed class Topology(MessagingOptions options)
{
    /// <summary>Declares everything, or (with declaration off) checks that the queues exist.</summary>
    public async Task DeclareAsync(IConnection connection, CancellationToken cancellationToken)
    {
        var arguments = options.QueueType == "quorum" ? new Dictionary<string, object?> { ["x-queue-type"] = "quorum" } : null;
        foreach (var queue in new[] { options.TodoQueue, options.DoneQueue, options.DeadLetterQueue })
        {
            // A failed declaration closes its channel, so each gets its own.
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            try
            {
                if (!options.DeclareTopology)
                {
                    await channel.QueueDeclarePassiveAsync(queue, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (queue != options.DeadLetterQueue)
                {
                    await channel.ExchangeDeclareAsync(queue, ExchangeType.Direct, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
                    await channel.QueueBindAsync(queue, queue, queue, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 406)
            {
                throw new TopologyMismatchException(
                    $"Queue or exchange \"{queue}\" already exists with other arguments: {e.ShutdownReason.ReplyText}. " +
                    $"The tasker declares it durable with TASKER_QUEUE_TYPE={options.QueueType}. Either set TASKER_QUEUE_TYPE to match the " +
                    "existing queue, delete the queue (rabbitmqctl delete_queue NAME) so it is declared afresh, or set " +
                    "TASKER_DECLARE_TOPOLOGY=false to use what exists.", e);
            }
            catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
            {
                throw new TopologyMismatchException(
                    $"Queue \"{queue}\" does not exist and TASKER_DECLARE_TOPOLOGY=false: create it, or let the tasker declare it.", e);
            }
        }
    }
}
