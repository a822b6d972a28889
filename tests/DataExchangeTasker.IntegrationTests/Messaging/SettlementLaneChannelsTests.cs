using System.Text.Json;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Health;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Protocol;
using RabbitMQ.Client;
using Serilog.Core;

namespace DataExchangeTasker.IntegrationTests.Messaging;

/// <summary>
/// The settling lanes answer on channels of their own (<see cref="ConfirmedPublisherSet"/>): a done message the broker
/// refuses (it closes that channel) is cut to fit and sent again on its lane, while the other lane's answers, published
/// at the same time, each arrive exactly once.
/// </summary>
public sealed class SettlementLaneChannelsTests
{
    [Fact]
    public async Task Lanes_OneAnswerRefusedAsTooLarge_EveryAnswerArrivesExactlyOnce()
    {
        const int brokerLimit = 64 * 1024;
        await using var broker = await RabbitMqBroker.StartAsync();
        await broker.RabbitmqctlAsync(["eval", $"application:set_env(rabbit, max_message_size, {brokerLimit})."]);
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var options = new MessagingOptions(broker.AmqpUri, "lanes-todo-" + suffix, "lanes-done-" + suffix, "classic", DeclareTopology: false);
        await using (var setup = await broker.ConnectAsync())
        await using (var channel = await setup.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync(options.DoneQueue, durable: true, exclusive: false, autoDelete: false);
        }

        using var metrics = new TaskMetrics();
        await using var connector = new AmqpConnector(options, "lanes-test", Logger.None);
        await connector.ConnectAsync(CancellationToken.None, attempts: 5);
        await using var lanes = new ConfirmedPublisherSet(connector, Logger.None, 2);
        await using var replyPublisher = new ConfirmedPublisher(connector, Logger.None);
        var replies = new ReplyCopier(replyPublisher, metrics, Logger.None);
        var big = new DonePublisher(lanes.Publishers[0], replies, options, metrics, Logger.None);
        var small = new DonePublisher(lanes.Publishers[1], replies, options, metrics, Logger.None);
        var request = new InboundDelivery([], false, null, null, null, "application/json", new NoSettlement());
        var oversized = new DoneMessage("big", TaskStates.Success, "", new ContainerOutput(new string('o', 200_000), "", ""), 0, null, 5);
        var quick = Enumerable.Range(0, 40).Select(i => DoneMessage.Rejected($"quick-{i}", Reasons.PathNotFound, "no such path")).ToList();

        await Task.WhenAll(
            Task.Run(async () =>
            {
                await big.PublishAsync(oversized, request, null, CancellationToken.None);
                foreach (var done in quick.Take(10))
                {
                    await big.PublishAsync(done, request, null, CancellationToken.None);
                }
            }),
            Task.Run(async () =>
            {
                foreach (var done in quick.Skip(10))
                {
                    await small.PublishAsync(done, request, null, CancellationToken.None);
                }
            }));

        var received = await DrainAsync(broker, options.DoneQueue);
        // Exactly once each: a duplicate or a missing answer breaks the equality.
        var expected = quick.Select(d => d.TaskId).Append("big").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, received.Select(d => d.TaskId).Order(StringComparer.Ordinal).ToList());
        var trimmed = Assert.Single(received, d => d.TaskId == "big");
        Assert.True(trimmed.Truncated!.Stdout);
    }

    private static async Task<List<DoneMessage>> DrainAsync(RabbitMqBroker broker, string queue)
    {
        await using var connection = await broker.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var all = new List<DoneMessage>();
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } got)
        {
            all.Add(JsonSerializer.Deserialize(got.Body.Span, ProtocolJsonContext.Default.DoneMessage)!);
        }

        return all;
    }

    private sealed class NoSettlement : IDeliverySettlement
    {
        public Task<bool> AckAsync(CancellationToken cancellationToken) => Task.FromResult(true);

        public Task RequeueAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
