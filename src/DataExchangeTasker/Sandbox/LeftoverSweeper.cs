using System.Globalization;
using DataExchangeTasker.Docker;
using Docker.DotNet.Models;
using Serilog;

namespace DataExchangeTasker.Sandbox;

/// <summary>
/// Removes what an earlier run of this tasker left (after a crash) once redeliveries had the grace period to
/// claim it, and kept-alive debugging containers whose time is up. Only touches containers labelled with
/// this tasker's identity and folders in its work root.
/// </summary>
public sealed class LeftoverSweeper(IDockerEngine docker, string workRoot, string taskerId, TimeSpan grace, ActiveSites active, ILogger log)
{
    /// <summary>How often kept-alive containers and published markers are checked.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a published marker is kept: a redelivery whose ack was lost (broker restart, consumer timeout)
    /// arriving within this time is acknowledged instead of run again.
    /// </summary>
    public TimeSpan MarkerRetention { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Until stopped: sweeps start-up leftovers once the grace period is over and, from the start, every
    /// <see cref="Interval"/>, kept-alive containers whose time is up and expired published markers.
    /// </summary>
    public Task RunAsync(CancellationToken stopping) => Task.WhenAll(StartupSweepAsync(stopping), PeriodicSweepAsync(stopping));

    /// <summary>Removes every kept-alive container of this tasker (at shutdown), whatever its time left.</summary>
    public async Task RemoveKeptAsync(CancellationToken cancellationToken)
    {
        var labels = new Dictionary<string, string?> { [ContainerLabels.Owner] = taskerId, [ContainerLabels.KeepUntil] = null };
        foreach (var container in await docker.ListContainersAsync(labels, cancellationToken).ConfigureAwait(false))
        {
            await docker.RemoveContainerAsync(container.ID, cancellationToken).ConfigureAwait(false);
            new WorkFolder(Path.Combine(workRoot, KeyOf(container))).Delete();
            log.Information("Removed kept-alive container {ContainerId:l} at shutdown", SandboxRunner.ShortId(container.ID));
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
                log.Information("Removed {Count} leftover container(s) and work folder(s) of an earlier run", removed);
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
                    ExpireMarkers();
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
    /// Removes this tasker's containers and work folders that no running task claims; with
    /// <paramref name="onlyExpired"/>, only kept-alive containers past their time. Returns how many went.
    /// </summary>
    public async Task<int> SweepAsync(bool onlyExpired, CancellationToken cancellationToken)
    {
        var removed = 0;
        var labels = new Dictionary<string, string?> { [ContainerLabels.Managed] = null, [ContainerLabels.Owner] = taskerId };
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        foreach (var container in await docker.ListContainersAsync(labels, cancellationToken).ConfigureAwait(false))
        {
            var key = KeyOf(container);
            var keepUntil = container.Label(ContainerLabels.KeepUntil);
            var expired = keepUntil is not null && long.TryParse(keepUntil, CultureInfo.InvariantCulture, out var until) && until <= now;
            if (active.Contains(key) || (onlyExpired ? !expired : keepUntil is not null && !expired))
            {
                continue;
            }

            await docker.RemoveContainerAsync(container.ID, cancellationToken).ConfigureAwait(false);
            new TaskSite(key, new WorkFolder(Path.Combine(workRoot, key))).DeleteFiles();
            log.Information("Removed container {ContainerId:l} ({Key:l}){Why}", SandboxRunner.ShortId(container.ID), key, expired ? ": keep-alive time is up" : "");
            removed++;
        }

        if (!onlyExpired && Directory.Exists(workRoot))
        {
            var live = (await docker.ListContainersAsync(labels, cancellationToken).ConfigureAwait(false))
                .Select(KeyOf).ToHashSet(StringComparer.Ordinal);
            foreach (var folder in Directory.EnumerateDirectories(workRoot, "tasker-*"))
            {
                var key = Path.GetFileName(folder);
                if (!live.Contains(key) && !active.Contains(key))
                {
                    new WorkFolder(folder).Delete();
                    removed++;
                }
            }
        }

        return removed;
    }

    /// <summary>Deletes published markers older than <see cref="MarkerRetention"/>.</summary>
    public void ExpireMarkers()
    {
        if (!Directory.Exists(workRoot))
        {
            return;
        }

        var cutoff = DateTime.UtcNow - MarkerRetention;
        foreach (var marker in Directory.EnumerateFiles(workRoot, "tasker-*.published"))
        {
            if (File.GetLastWriteTimeUtc(marker) < cutoff)
            {
                File.Delete(marker);
            }
        }
    }

    private static string KeyOf(ContainerListResponse container) =>
        container.Names is { Count: > 0 } names ? names[0].TrimStart('/') : "";
}
