using Docker.DotNet;
using Docker.DotNet.Models;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>The broker fixture itself: what the outage tests and the reliability work rely on it to do.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class RabbitMqBrokerTests(RabbitMqFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task KillAsync_ThenStartAgain_SamePortServesWhatTheBrokerHadOnDisk()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        var broker = fixture.Broker;
        var queue = $"kill-{Guid.NewGuid():N}";
        await using (var connection = await broker.ConnectAsync(deadline.Token))
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), deadline.Token))
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, cancellationToken: deadline.Token);
            // A confirm is what a broker promises to keep across a crash: the persistent message is on disk.
            await TestQueues.PublishAsync(channel, queue, "kept"u8.ToArray(), cancellationToken: deadline.Token);
        }

        // declare-ok promises nothing about the disk (Mnesia logs the queue's record lazily): a SIGKILL a moment later
        // may lose the queue itself. Wait until its record is on disk.
        await broker.RabbitmqctlAsync(["eval", "ok = mnesia:sync_log()."], deadline.Token);

        var uri = broker.AmqpUri;
        await broker.KillAsync(deadline.Token);
        await Assert.ThrowsAsync<BrokerUnreachableException>(() => broker.ConnectAsync(deadline.Token));
        await broker.StartAgainAsync(deadline.Token);

        Assert.Equal(uri, broker.AmqpUri);
        Assert.Equal(1u, await broker.MessageCountAsync(queue, deadline.Token));
    }

    [Fact]
    public async Task RabbitmqctlAsync_StopApp_RefusesClientsUntilStartApp()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        var broker = fixture.Broker;

        await broker.RabbitmqctlAsync(["stop_app"], deadline.Token);
        try
        {
            await Assert.ThrowsAsync<BrokerUnreachableException>(() => broker.ConnectAsync(deadline.Token));
        }
        finally
        {
            await broker.RabbitmqctlAsync(["start_app"], deadline.Token);
        }

        await using var connection = await broker.ConnectAsync(deadline.Token);
        Assert.True(connection.IsOpen);
    }

    [Fact]
    public async Task SweepAsync_ContainersOfDeadAndLiveTestHosts_RemovesOnlyTheDeadOnes()
    {
        using var deadline = new CancellationTokenSource(Deadline);
        using var docker = new DockerClientBuilder().Build();
        var live = TestProcessIdentity.Current;
        // Same pid, another start: what a test host that died (and whose pid was reused) left behind.
        var dead = live with { StartMark = "another-boot/0" };
        var deadId = await CreateLabelledAsync(docker, dead, deadline.Token);
        var liveId = await CreateLabelledAsync(docker, live, deadline.Token);
        try
        {
            var removed = await BrokerLeftoverSweep.SweepAsync(docker, deadline.Token);

            Assert.Contains(deadId, removed);
            Assert.DoesNotContain(liveId, removed);
            Assert.DoesNotContain(removed, id => fixture.Broker.ContainerId.StartsWith(id, StringComparison.Ordinal) || id.StartsWith(fixture.Broker.ContainerId, StringComparison.Ordinal));
            await Assert.ThrowsAsync<DockerContainerNotFoundException>(() => docker.Containers.InspectContainerAsync(deadId, deadline.Token));
        }
        finally
        {
            foreach (var id in new[] { deadId, liveId })
            {
                try
                {
                    await docker.Containers.RemoveContainerAsync(id, new ContainerRemoveParameters { Force = true }, CancellationToken.None);
                }
                catch (DockerContainerNotFoundException)
                {
                    // The sweep took it.
                }
            }
        }
    }

    private static async Task<string> CreateLabelledAsync(DockerClient docker, TestProcessIdentity owner, CancellationToken cancellationToken)
    {
        var created = await docker.Containers.CreateContainerAsync(
            new CreateContainerParameters
            {
                Image = Requirements.BrokerImage,
                Cmd = ["true"],
                Labels = new Dictionary<string, string>
                {
                    [RabbitMqBroker.Labels.Broker] = "test",
                    [RabbitMqBroker.Labels.OwnerPid] = owner.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    [RabbitMqBroker.Labels.OwnerStart] = owner.StartMark,
                },
            },
            cancellationToken);
        return created.ID;
    }
}
