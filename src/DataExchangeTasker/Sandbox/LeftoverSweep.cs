using DataExchangeTasker.Docker;

namespace DataExchangeTasker.Sandbox;

/// <summary>
/// The one sweep of task leftovers on this host, used by the running tasker (<see cref="LeftoverSweeper"/>) and by
/// <c>tasker cleanup</c>: removes the task containers the caller's rule picks (with their work folder) and, when
/// asked, work folders in the work root that no remaining container or claimed task uses.
/// </summary>
public sealed class LeftoverSweep(IDockerEngine docker, string workRoot)
{
    /// <summary>
    /// Sweeps the task containers of <paramref name="owner"/> (every tasker's when null), removing those
    /// <paramref name="remove"/> picks; with <paramref name="folders"/>, then the orphaned work folders whose key
    /// <paramref name="inUse"/> does not claim. Answered records are not touched (they expire on their own).
    /// </summary>
    public async Task<SweepResult> SweepAsync(string? owner, Func<LeftoverContainer, bool> remove, bool folders, Func<string, bool> inUse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remove);
        ArgumentNullException.ThrowIfNull(inUse);
        var labels = new Dictionary<string, string?> { [ContainerLabels.Managed] = null };
        if (owner is not null)
        {
            labels[ContainerLabels.Owner] = owner;
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var removed = new List<LeftoverContainer>();
        var remaining = new HashSet<string>(StringComparer.Ordinal);
        foreach (var summary in await docker.ListContainersAsync(labels, cancellationToken).ConfigureAwait(false))
        {
            var container = LeftoverContainer.From(summary, now);
            if (inUse(container.Key) || !remove(container))
            {
                remaining.Add(FolderOf(container));
                continue;
            }

            await docker.RemoveContainerAsync(container.Id, cancellationToken).ConfigureAwait(false);
            var folder = FolderOf(container);
            if (Path.GetDirectoryName(folder) == workRoot)
            {
                new TaskSite(Path.GetFileName(folder), new WorkFolder(folder)).DeleteFiles();
            }

            removed.Add(container);
        }

        var removedFolders = new List<string>();
        if (folders && Directory.Exists(workRoot))
        {
            foreach (var folder in Directory.EnumerateDirectories(workRoot, "tasker-*"))
            {
                if (!remaining.Contains(folder) && !inUse(Path.GetFileName(folder)))
                {
                    new WorkFolder(folder).Delete();
                    removedFolders.Add(folder);
                }
            }
        }

        return new SweepResult(removed, removedFolders);
    }

    private string FolderOf(LeftoverContainer container) => container.WorkFolderPath ?? Path.Combine(workRoot, container.Key);
}

/// <summary>What a sweep removed.</summary>
public sealed record SweepResult(IReadOnlyList<LeftoverContainer> Containers, IReadOnlyList<string> Folders)
{
    /// <summary>Containers plus folders.</summary>
    public int Count => Containers.Count + Folders.Count;
}
