using DataExchangeTasker.Docker;
using DataExchangeTasker.Sandbox.Spec;

namespace DataExchangeTasker.Sandbox.Sweep;

/// <summary>
/// The one sweep of task leftovers on this host, used by the running tasker (<see cref="LeftoverSweeper"/>) and by
/// <c>tasker cleanup</c>: removes the task containers the caller's rule picks. Answered records stay (they expire
/// on their own); output folders under the results root are the tasks' results and are never swept.
/// </summary>
/// <param name="docker">The engine.</param>
/// <param name="time">The clock deadlines and keep-alive ends are compared with; the system's when null.</param>
public sealed class LeftoverSweep(IDockerEngine docker, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>
    /// Sweeps the task containers of <paramref name="owner"/> (every tasker's when null), removing those
    /// <paramref name="remove"/> picks and <paramref name="inUse"/> does not claim.
    /// </summary>
    public async Task<SweepResult> SweepAsync(string? owner, Func<LeftoverContainer, bool> remove, Func<string, bool> inUse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remove);
        ArgumentNullException.ThrowIfNull(inUse);
        var labels = new Dictionary<string, string?> { [ContainerLabels.Managed] = null };
        if (owner is not null)
        {
            labels[ContainerLabels.Owner] = owner;
        }

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var removed = new List<LeftoverContainer>();
        foreach (var summary in await docker.ListContainersAsync(labels, cancellationToken).ConfigureAwait(false))
        {
            var container = LeftoverContainer.From(summary, now);
            if (inUse(container.Key) || !remove(container))
            {
                continue;
            }

            await docker.RemoveContainerAsync(container.Id, cancellationToken).ConfigureAwait(false);
            removed.Add(container);
        }

        return new SweepResult(removed);
    }
}

/// <summary>What a sweep removed.</summary>
public sealed record SweepResult(IReadOnlyList<LeftoverContainer> Containers)
{
    /// <summary>Containers removed.</summary>
    public int Count => Containers.Count;
}
