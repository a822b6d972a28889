using DataExchangeTasker.Docker;
using Serilog;

namespace DataExchangeTasker.Sandbox;

/// <summary>
/// Removes what an earlier run of this tasker left (after a crash) once redeliveries had the grace period to
/// claim it, kept-alive debugging containers whose time is up, and code snapshots no task used for
/// <see cref="SnapshotRetention"/>. Only touches containers labelled with this tasker's identity; never a snapshot that any managed container (of any tasker) has bound.
/// </summary>
public sealed class LeftoverSweeper(IDockerEngine docker, string snapshotRoot, string taskerId, TimeSpan grace, ActiveSites active, ILogger log)
{
    private readonly LeftoverSweep _sweep = new(docker);

    /// <summary>How often kept-alive containers are checked.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a code snapshot no task used is kept (the next task of that code copies it again).</summary>
    public TimeSpan SnapshotRetention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>The cache of installed requirements (<c>TASKER_DEPS_ROOT</c>), expired like snapshots; null: none.</summary>
    public string? DependencyRoot { get; init; }

    /// <summary>
    /// Until stopped: sweeps start-up leftovers once the grace period is over and, from the start, every
    /// <see cref="Interval"/>, kept-alive containers whose time is up (answered records expire on their own).
    /// </summary>
    public Task RunAsync(CancellationToken stopping) => Task.WhenAll(StartupSweepAsync(stopping), PeriodicSweepAsync(stopping));

    /// <summary>Removes every kept-alive container of this tasker (at shutdown), whatever its time left.</summary>
    public async Task RemoveKeptAsync(CancellationToken cancellationToken)
    {
        var result = await _sweep.SweepAsync(taskerId, c => c.KeptAlive, _ => false, cancellationToken).ConfigureAwait(false);
        foreach (var c in result.Containers)
        {
            log.Information("Removed kept-alive container {ContainerId:l} at shutdown", SandboxRunner.ShortId(c.Id));
        }
    }

    private async Task StartupSweepAsync(CancellationToken stopping)
    {
        try
        {
            await Task.Delay(grace, stopping).ConfigureAwait(false);
            var removed = await SweepAsync(onlyExpired: false, stopping).ConfigureAwait(false);
            if (removed > 0)
            {
                log.Information("Removed {Count} leftover container(s) of an earlier run", removed);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        catch (DockerApiException e)
        {
            log.Warning("Leftover cleanup skipped: {Error}", e.Message);
        }
    }

    private async Task PeriodicSweepAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                try
                {
                    await SweepAsync(onlyExpired: true, stopping).ConfigureAwait(false);
                    await ExpireSnapshotsAsync(stopping).ConfigureAwait(false);
                    await ExpireDependenciesAsync(stopping).ConfigureAwait(false);
                }
                catch (Exception e) when (e is DockerApiException or IOException)
                {
                    log.Warning("Periodic cleanup failed, retrying later: {Error}", e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// Removes this tasker's containers that no running task claims; with
    /// <paramref name="onlyExpired"/>, only kept-alive containers past their time. Returns how many went.
    /// </summary>
    public async Task<int> SweepAsync(bool onlyExpired, CancellationToken cancellationToken)
    {
        var result = await _sweep.SweepAsync(
            taskerId,
            c => onlyExpired ? c.KeepAliveExpired : !c.KeptAlive || c.KeepAliveExpired,
            active.Contains,
            cancellationToken).ConfigureAwait(false);
        foreach (var c in result.Containers)
        {
            log.Information("Removed container {ContainerId:l} ({Key:l}){Why}", SandboxRunner.ShortId(c.Id), c.Key, c.KeepAliveExpired ? ": keep-alive time is up" : "");
        }

        return result.Count;
    }

    /// <summary>
    /// Removes snapshots (and crash leftovers of snapshot copies) unused for <see cref="SnapshotRetention"/>, except
    /// those bound into a managed container of any tasker, running or not. Returns how many went.
    /// </summary>
    public Task<int> ExpireSnapshotsAsync(CancellationToken cancellationToken) =>
        ExpireUnboundAsync(snapshotRoot, "code snapshot", cancellationToken);

    /// <summary>
    /// Removes installed requirements unused for <see cref="SnapshotRetention"/> (the next task needing them installs
    /// them again), except those bound into a managed container; and staging folders a crash left mid-install.
    /// </summary>
    public async Task<int> ExpireDependenciesAsync(CancellationToken cancellationToken)
    {
        if (DependencyRoot is null)
        {
            return 0;
        }

        // An install takes at most TASKER_PIP_TIMEOUT (a day at most); an older staging folder has no owner left.
        foreach (var staging in new Dependencies.DependencyCache(DependencyRoot).StaleStaging(TimeSpan.FromDays(1)))
        {
            CodeSnapshotStore.Remove(staging);
        }

        return await ExpireUnboundAsync(DependencyRoot, "installed requirements.txt", cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> ExpireUnboundAsync(string root, string what, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(root))
        {
            return 0;
        }

        var bound = new HashSet<string>(StringComparer.Ordinal);
        var containers = await docker.ListContainersAsync(new Dictionary<string, string?> { [ContainerLabels.Managed] = null }, cancellationToken).ConfigureAwait(false);
        foreach (var mount in containers.SelectMany(c => c.Mounts ?? []))
        {
            if (mount.Source is { } source && PathResolver.IsUnder(source, root))
            {
                // <root>/<name> or <root>/<name>/<file>: the entry is the first segment below the root.
                var first = source[(root.TrimEnd('/').Length + 1)..].Split('/')[0];
                bound.Add(Path.Combine(root, first));
            }
        }

        var cutoff = DateTime.UtcNow - SnapshotRetention;
        var removed = 0;
        foreach (var folder in Directory.EnumerateDirectories(root))
        {
            if (!bound.Contains(folder) && !Path.GetFileName(folder).StartsWith(".tmp-", StringComparison.Ordinal) && Directory.GetLastWriteTimeUtc(folder) < cutoff)
            {
                CodeSnapshotStore.Remove(folder);
                log.Information("Removed {What:l} {Entry:l}, unused for {Days} days", what, Path.GetFileName(folder), SnapshotRetention.TotalDays);
                removed++;
            }
        }

        return removed;
    }
}
