using System.Text.Json;
using DataExchangeTasker.Protocol;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>Consumes a done queue on one broker node and keeps every message, duplicates included.</summary>
public sealed class DoneQueueCollector : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly List<DoneMessage> _received = [];

    private DoneQueueCollector(IConnection connection, IChannel channel)
    {
        _connection = connection;
        _channel = channel;
    }

    /// <summary>Every done message so far, in arrival order.</summary>
    public IReadOnlyList<DoneMessage> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>Starts consuming <paramref name="queue"/> (which must exist) on the node at <paramref name="amqpUri"/>.</summary>
    public static async Task<DoneQueueCollector> StartAsync(Uri amqpUri, string queue, CancellationToken cancellationToken)
    {
        var connection = await new ConnectionFactory { Uri = amqpUri, AutomaticRecoveryEnabled = false, ClientProvidedName = "test-done-collector" }
            .CreateConnectionAsync(cancellationToken);
        var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var collector = new DoneQueueCollector(connection, channel);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            var done = JsonSerializer.Deserialize(delivery.Body.Span, ProtocolJsonContext.Default.DoneMessage)!;
            lock (collector._received)
            {
                collector._received.Add(done);
            }

            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
        };
        await channel.BasicConsumeAsync(queue, autoAck: false, consumer, cancellationToken);
        return collector;
    }

    /// <summary>Waits until at least <paramref name="count"/> distinct taskIds were answered.</summary>
    public async Task WaitForDistinctAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Received.Select(d => d.TaskId).Distinct().Count() < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Only {Received.Select(d => d.TaskId).Distinct().Count()} of {count} tasks answered within {timeout.TotalSeconds} s.");
            }

            await Task.Delay(100);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
