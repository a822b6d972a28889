using DataExchangeTasker.Docker;
using DataExchangeTasker.Sandbox.Claims;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Sandbox.Run;
using DataExchangeTasker.Sandbox.Spec;
using Serilog;

namespace DataExchangeTasker.Sandbox.Sweep;

/// <summary>
/// Removes what an earlier run of this tasker left (after a crash), kept-alive debugging containers whose time is up,
/// and code snapshots no task used for <see cref="SnapshotRetention"/>. Only touches containers labelled with this
/// tasker's identity that no task of this process claims; never a snapshot that any managed container (of any tasker)
/// has bound. A crashed run's container may still be wanted by its task's redelivery, however long the backlog ahead
/// of it: one that runs is left to its code until its time limit plus the collect window (then killed), and one that
/// ended stays <see cref="ExitedRetention"/> (a redelivery adopts it and answers without running the code again);
/// only a container whose code never started is removed at once.
/// </summary>
internal sealed class LeftoverSweeper(IDockerEngine docker, string snapshotRoot, string taskerId, TimeSpan grace, ClaimedContainers active, ILogger log)
{
    /// <summary>How often leftovers are checked (set by the composition root).</summary>
    public required TimeSpan Interval { get; init; }

    /// <summary>The clock the grace, the interval and the retention ages are measured on (the composition root's).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>How long a code snapshot no task used is kept (the next task of that code copies it again).</summary>
    public TimeSpan SnapshotRetention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How long a crashed run's container stays once it ended: as long as answers are remembered (AnswerLedger), so a
    /// redelivery within that time finds it and never runs the code a second time.
    /// </summary>
    public TimeSpan ExitedRetention { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long past its time limit a crashed run's running container is left: the timeout grace and the collect
    /// window, so a redelivery adopting it late still collects its results.
    /// </summary>
    public TimeSpan Overrun { get; init; } = SealedContainer.TimeoutGrace + SealedContainer.CollectWindow;

    /// <summary>The cache of installed requirements (<c>TASKER_DEPS_ROOT</c>), expired like snapshots; null: none.</summary>
    public string? DependencyRoot { get; init; }

    /// <summary>
    /// Until stopped: sweeps leftovers once the grace period is over, then every <see cref="Interval"/> (answered
    /// records expire on their own).
    /// </summary>
    public Task RunAsync(CancellationToken stopping) => Task.WhenAll(StartupSweepAsync(stopping), PeriodicSweepAsync(stopping));

    /// <summary>Removes every kept-alive container of this tasker (at shutdown), whatever its time left.</summary>
    public async Task RemoveKeptAsync(CancellationToken cancellationToken)
    {
        var result = await new LeftoverSweep(docker, Time).SweepAsync(taskerId, c => c.KeptAlive, _ => false, cancellationToken).ConfigureAwait(false);
        foreach (var c in result.Containers)
        {
            log.Information("Removed kept-alive container {ContainerId:l} at shutdown", ContainerIds.Shorten(c.Id));
        }
    }

    private async Task StartupSweepAsync(CancellationToken stopping)
    {
        try
        {
            await Task.Delay(grace, Time, stopping).ConfigureAwait(false);
            var removed = await SweepAsync(stopping).ConfigureAwait(false);
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
        using var timer = new PeriodicTimer(Interval, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                try
                {
                    await SweepAsync(stopping).ConfigureAwait(false);
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
    /// One pass over this tasker's containers that no task of this process claims: removes kept-alive ones whose time
    /// is up, ones whose code never started, and ones that ended more than <see cref="ExitedRetention"/> ago; kills
    /// running ones more than <see cref="Overrun"/> past their time limit. Returns how many were removed.
    /// </summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var now = Time.GetUtcNow();
        var removed = 0;
        var labels = new Dictionary<string, string?> { [ContainerLabels.Managed] = null, [ContainerLabels.Owner] = taskerId };
        foreach (var summary in await docker.ListContainersAsync(labels, cancellationToken).ConfigureAwait(false))
        {
            var c = LeftoverContainer.From(summary, now.ToUnixTimeSeconds());
            if (active.Contains(c.Key))
            {
                continue;
            }

            string? why;
            if (c.KeptAlive)
            {
                why = c.KeepAliveExpired ? "keep-alive time is up" : null;
            }
            else if (c.State == "created")
            {
                why = "its code never started";
            }
            else if (c.Running || c.State is "paused" or "restarting")
            {
                if (c.Deadline is { } deadline && now > DateTimeOffset.FromUnixTimeSeconds(deadline) + Overrun)
                {
                    // No task claimed it within its time limit and the collect window: its tasker is gone and no
                    // redelivery came. Killed, it stays as evidence (and for a redelivery still to come) like any ended one.
                    log.Warning("Container {ContainerId:l} ({Key:l}) of an earlier run ran past its time limit with no task claiming it; killing it", ContainerIds.Shorten(c.Id), c.Key);
                    await docker.KillContainerAsync(c.Id, "SIGKILL", cancellationToken).ConfigureAwait(false);
                }

                continue;
            }
            else
            {
                var finished = DateTimeOffset.TryParse((await docker.InspectContainerAsync(c.Id, cancellationToken).ConfigureAwait(false))?.State?.FinishedAt,
                    System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at) && at.Year > 1 ? at : (DateTimeOffset?)null;
                why = finished is null || now - finished > ExitedRetention ? "ended longer ago than answers are remembered, unclaimed" : null;
            }

            if (why is null)
            {
                continue;
            }

            await docker.RemoveContainerAsync(c.Id, cancellationToken).ConfigureAwait(false);
            log.Information("Removed container {ContainerId:l} ({Key:l}): {Why:l}", ContainerIds.Shorten(c.Id), c.Key, why);
            removed++;
        }

        return removed;
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
        foreach (var staging in new Dependencies.DependencyCache(DependencyRoot, Time).StaleStaging(TimeSpan.FromDays(1)))
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

        var cutoff = Time.GetUtcNow().UtcDateTime - SnapshotRetention;
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
