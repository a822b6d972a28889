using Docker.DotNet;
using Docker.DotNet.Models;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// Removes broker containers left by earlier test hosts that died before disposing them (there is no Ryuk here to do
/// it). Runs once per test host, before its first broker starts. A container whose owning test host still runs (another
/// worktree's suite, in parallel) is left alone: ownership is the <see cref="TestProcessIdentity"/> in its labels.
/// </summary>
internal static class BrokerLeftoverSweep
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static bool _done;

    /// <summary>Sweeps once per process; later calls return at once.</summary>
    public static async Task RunOnceAsync(IDockerClient docker, CancellationToken cancellationToken)
    {
        await Gate.WaitAsync(cancellationToken);
        try
        {
            if (_done)
            {
                return;
            }

            await SweepAsync(docker, cancellationToken);
            _done = true;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Removes every broker container whose owning test host is gone.</summary>
    /// <returns>The ids of the containers removed.</returns>
    public static async Task<IReadOnlyList<string>> SweepAsync(IDockerClient docker, CancellationToken cancellationToken)
    {
        var containers = await docker.Containers.ListContainersAsync(
            new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>>
                {
                    ["label"] = new Dictionary<string, bool> { [RabbitMqBroker.Labels.Broker] = true },
                },
            },
            cancellationToken);
        var removed = new List<string>();
        foreach (var container in containers.Where(c => OwnerOf(c) is { IsAlive: false }))
        {
            await docker.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true }, cancellationToken);
            removed.Add(container.ID);
        }

        return removed;
    }

    private static TestProcessIdentity? OwnerOf(ContainerListResponse container) =>
        container.Labels.TryGetValue(RabbitMqBroker.Labels.OwnerPid, out var pid) && int.TryParse(pid, out var ownerPid)
        && container.Labels.TryGetValue(RabbitMqBroker.Labels.OwnerStart, out var start)
            ? new TestProcessIdentity(ownerPid, start)
            : null;
}
