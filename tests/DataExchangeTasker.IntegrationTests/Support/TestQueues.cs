using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// Publish and receive helpers for tests that talk to a real broker. Every wait is bounded by an
/// explicit timeout, so a missing message fails the test instead of hanging the run.
/// </summary>
public static class TestQueues
{
    private static readonly TimeSpan GetPollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Publishes to the default exchange, so <paramref name="routingKey"/> is the queue name.
    /// The message is persistent unless <paramref name="properties"/> sets a delivery mode.
    /// </summary>
    /// <param name="channel">An open channel.</param>
    /// <param name="routingKey">The target queue.</param>
    /// <param name="body">The message body.</param>
    /// <param name="properties">Message properties; copied, never modified.</param>
    /// <param name="cancellationToken">Cancels the publish.</param>
    /// <returns>A task that completes when the client has sent the message (or, on a channel with
    /// publisher confirmations, when the broker has confirmed it).</returns>
    /// <remarks>
    /// Published as mandatory: on a channel with confirmation tracking an unroutable message
    /// (misspelt or undeclared queue) then fails the publish instead of vanishing.
    /// </remarks>
    public static async Task PublishAsync(
        IChannel channel,
        string routingKey,
        byte[] body,
        BasicProperties? properties = null,
        CancellationToken cancellationToken = default)
    {
        var toSend = properties is null ? new BasicProperties() : new BasicProperties(properties);
        if (!toSend.IsDeliveryModePresent())
        {
            toSend.Persistent = true;
        }

        await channel.BasicPublishAsync(string.Empty, routingKey, mandatory: true, toSend, body, cancellationToken);
    }

    /// <summary>
    /// Polls <c>basic.get</c> (auto-acknowledged) until a message arrives or the timeout passes.
    /// </summary>
    /// <param name="channel">An open channel.</param>
    /// <param name="queue">The queue to read.</param>
    /// <param name="timeout">How long to keep polling.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The message, or null when none arrived in time.</returns>
    public static Task<BasicGetResult?> GetWithDeadlineAsync(
        IChannel channel, string queue, TimeSpan timeout, CancellationToken cancellationToken) =>
        GetWithDeadlineAsync(channel, queue, timeout, autoAck: true, cancellationToken);

    /// <summary>
    /// Polls <c>basic.get</c> until a message arrives or the timeout passes.
    /// </summary>
    /// <param name="channel">An open channel.</param>
    /// <param name="queue">The queue to read.</param>
    /// <param name="timeout">How long to keep polling.</param>
    /// <param name="autoAck">
    /// False to leave the message unacknowledged, for tests that ack, nack or reject it themselves.
    /// </param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The message, or null when none arrived in time.</returns>
    public static async Task<BasicGetResult?> GetWithDeadlineAsync(
        IChannel channel, string queue, TimeSpan timeout, bool autoAck, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var result = await channel.BasicGetAsync(queue, autoAck, cancellationToken);
            if (result is not null)
            {
                return result;
            }

            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                return null;
            }

            await Task.Delay(remaining < GetPollInterval ? remaining : GetPollInterval, cancellationToken);
        }
    }

    /// <summary>
    /// Consumes exactly <paramref name="count"/> messages from a queue and returns copies of them
    /// in delivery order. Each message is acknowledged as soon as it is copied, so on a timeout
    /// the messages that did arrive are gone from the queue (the exception says how many);
    /// deliveries beyond <paramref name="count"/> are requeued for the next reader.
    /// </summary>
    /// <param name="channel">An open channel; a consumer is added and cancelled before returning.</param>
    /// <param name="queue">The queue to consume from.</param>
    /// <param name="count">How many messages to collect.</param>
    /// <param name="timeout">How long to wait for all of them.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The collected messages.</returns>
    /// <exception cref="TimeoutException">Fewer than <paramref name="count"/> messages arrived in time.</exception>
    public static Task<IReadOnlyList<ReceivedMessage>> CollectAsync(
        IChannel channel,
        string queue,
        int count,
        TimeSpan timeout,
        CancellationToken cancellationToken = default) =>
        CollectAsync(channel, queue, count, timeout, where: null, cancellationToken);

    /// <summary>
    /// As the other overload, counting only the messages <paramref name="where"/> accepts; the others are acked and
    /// dropped (for a private copy of a shared exchange). One consumer takes them all, so they come in queue order.
    /// </summary>
    public static async Task<IReadOnlyList<ReceivedMessage>> CollectAsync(
        IChannel channel,
        string queue,
        int count,
        TimeSpan timeout,
        Func<ReceivedMessage, bool>? where,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);

        var received = new List<ReceivedMessage>(count);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            try
            {
                bool wanted;
                lock (received)
                {
                    wanted = received.Count < count;
                    // The body is pooled memory, only valid until this handler returns: copied first.
                    var message = wanted ? ReceivedMessage.From(delivery) : null;
                    if (message is not null && (where is null || where(message)))
                    {
                        received.Add(message);
                        if (received.Count == count)
                        {
                            done.TrySetResult();
                        }
                    }
                }

                // Acked only after copying, and extras are requeued rather than left unacked:
                // cancelling a consumer does not return its unacknowledged deliveries to the queue.
                if (wanted)
                {
                    await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, delivery.CancellationToken);
                }
                else
                {
                    await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true, delivery.CancellationToken);
                }
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        };

        var consumerTag = await channel.BasicConsumeAsync(queue, autoAck: false, consumer, cancellationToken);
        try
        {
            await done.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            int got;
            lock (received)
            {
                got = received.Count;
            }

            throw new TimeoutException($"Received {got} of {count} messages from queue '{queue}' within {timeout}.");
        }
        finally
        {
            try
            {
                await channel.BasicCancelAsync(consumerTag, noWait: false, CancellationToken.None);
            }
            catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException)
            {
                // The channel died (broker stopped, channel error); the consumer went with it, and
                // the exception that matters is the one already propagating, if any.
            }
        }

        lock (received)
        {
            return received.ToArray();
        }
    }
}
