using System.Diagnostics;
using System.Globalization;
using System.Net;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Docker;
using DataExchangeTasker.Health;
using Docker.DotNet.Models;
using Serilog;

namespace DataExchangeTasker.Sandbox;

/// <summary>
/// Runs a prepared task in a fresh container and collects what it left, or adopts the container an earlier
/// delivery of the same task started. It leaves the container and work folder in place: they are the
/// evidence that the task ran, removed only once its done message is safely published.
/// </summary>
public sealed class SandboxRunner(IDockerEngine docker, SandboxOptions options, ContainerSpecFactory specs, string taskerId, ILogger log, TaskMetrics metrics)
{
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(30);
    private int _unboundedWarned;

    /// <summary>The container and work folder a task uses (deterministic, so a redelivery finds them).</summary>
    public TaskSite SiteOf(string taskId)
    {
        var key = ContainerLabels.TaskKey(taskerId, taskId);
        return new TaskSite(key, new WorkFolder(Path.Combine(options.WorkRoot, key)));
    }

    /// <summary>The state of a task's container on this host, if an earlier delivery created one.</summary>
    public Task<ContainerInspectResponse?> FindAsync(TaskSite site, CancellationToken cancellationToken) =>
        docker.InspectContainerAsync(site.Key, cancellationToken);

    /// <summary>Creates, starts and waits for the task's container; kills it at the deadline.</summary>
    public async Task<ContainerRun> RunAsync(PreparedTask task, TaskSite site, CancellationToken cancellationToken)
    {
        var work = WorkFolder.Create(options.WorkRoot, site.Key, options.WorkSizeLimitBytes, out var bounded);
        if (!bounded && options.WorkSizeLimitBytes > 0 && Interlocked.Exchange(ref _unboundedWarned, 1) == 0)
        {
            log.Warning("Work folders cannot be size-limited (mounting a tmpfs needs root); TASKER_WORK_SIZE_LIMIT is not enforced, only the per-file TASKER_FILE_SIZE_LIMIT");
        }

        DateTimeOffset? keepUntil = options.KeepAlive ? DateTimeOffset.UtcNow + options.KeepAliveTimeout : null;
        var request = specs.Create(task, work, keepUntil);
        var createdAt = Stopwatch.StartNew();
        string id;
        try
        {
            id = await docker.CreateContainerAsync(site.Key, request, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            // Another delivery of this task got here first; never run the code twice.
            throw new TaskAlreadyRunningException(task.Message.TaskId, e);
        }

        await docker.StartContainerAsync(id, cancellationToken).ConfigureAwait(false);
        metrics.ContainerStarted(createdAt.Elapsed);
        log.Information("Task {TaskId:l} started in container {ContainerId:l}", task.Message.TaskId, ShortId(id));
        return await WatchAsync(id, work, task.Limits.Timeout, Stopwatch.StartNew(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Follows a container an earlier delivery started: waits for it if it runs, then collects.</summary>
    public async Task<ContainerRun> AdoptAsync(ContainerInspectResponse container, TaskSite site, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = ParseTime(container.State?.StartedAt) ?? DateTimeOffset.UtcNow;
        var remaining = timeout - (DateTimeOffset.UtcNow - started);
        var clock = Stopwatch.StartNew();
        if (container.State?.Running != true)
        {
            return await CollectAsync(container.ID, site.Work, timedOut: false, peak: null, clock, cancellationToken).ConfigureAwait(false);
        }

        // If it exits between the inspect and the wait, the wait answers at once from the recorded state.
        return await WatchAsync(container.ID, site.Work, remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, clock, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Removes the container (unless kept alive for debugging) and its work folder. The published marker stays
    /// (the sweeper expires it), so a redelivery whose ack was lost is recognised and not run again.
    /// </summary>
    public async Task CleanupAsync(TaskSite site, CancellationToken cancellationToken)
    {
        if (options.KeepAlive)
        {
            return;
        }

        await docker.RemoveContainerAsync(site.Key, cancellationToken).ConfigureAwait(false);
        site.Work.Delete();
    }

    /// <summary>Kills and removes a task's container after an abandoned run (shutdown past the drain timeout).</summary>
    public async Task AbandonAsync(TaskSite site, CancellationToken cancellationToken)
    {
        await docker.KillContainerAsync(site.Key, "SIGKILL", cancellationToken).ConfigureAwait(false);
        await docker.RemoveContainerAsync(site.Key, cancellationToken).ConfigureAwait(false);
        site.DeleteFiles();
    }

    private async Task<ContainerRun> WatchAsync(string id, WorkFolder work, TimeSpan timeout, Stopwatch clock, CancellationToken cancellationToken)
    {
        using var watchStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Sent after start: the engine answers a container that already exited from its recorded state.
        var exited = docker.WaitForExitAsync(id, watchStop.Token);
        var peak = docker.TrackPeakMemoryAsync(id, watchStop.Token);
        var finished = options.KeepAlive ? ExitFileAsync(work, exited, cancellationToken) : exited;
        var timedOut = false;
        try
        {
            await finished.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            timedOut = true;
            log.Information("Container {ContainerId:l} passed its time limit; killing it", ShortId(id));
            await docker.KillContainerAsync(id, "SIGKILL", cancellationToken).ConfigureAwait(false);
            await exited.WaitAsync(KillGrace, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await watchStop.CancelAsync().ConfigureAwait(false);
            // A kept-alive container outlives its code, so the wait may end only now, cancelled: observe that.
            await exited.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }

        var run = await CollectAsync(id, work, timedOut, await peak.ConfigureAwait(false), clock, cancellationToken).ConfigureAwait(false);
        if (options.KeepAlive && !timedOut)
        {
            // Warning, not Information: a kept-alive container still holds the task's private data.
            log.Warning("Container {ContainerId:l} is kept alive for debugging (up to {KeepAliveSeconds} s after the code ended); open a shell in it with: docker exec -it {ContainerShortId} sh",
                ShortId(id), (long)options.KeepAliveTimeout.TotalSeconds, ShortId(id));
        }

        return run;
    }

    private async Task<ContainerRun> CollectAsync(string id, WorkFolder work, bool timedOut, long? peak, Stopwatch clock, CancellationToken cancellationToken)
    {
        var inspect = await docker.InspectContainerAsync(id, cancellationToken).ConfigureAwait(false)
            ?? throw new DockerApiException("GET /containers/{id}/json", HttpStatusCode.NotFound, $"container {ShortId(id)} vanished before its results were read");
        var state = inspect.State ?? new State();
        var exitCode = options.KeepAlive && !timedOut ? await ReadExitFileAsync(work, cancellationToken).ConfigureAwait(false) : null;
        exitCode ??= state.Running ? null : state.ExitCode;
        var started = ParseTime(state.StartedAt);
        var finishedAt = state.Running ? DateTimeOffset.UtcNow : ParseTime(state.FinishedAt);
        var duration = started is not null && finishedAt is not null && finishedAt >= started
            ? (long)(finishedAt.Value - started.Value).TotalMilliseconds
            : clock.ElapsedMilliseconds;
        var cap = options.OutputLimitBytes;
        return new ContainerRun(
            id, exitCode, timedOut, state.OOMKilled, started, finishedAt, duration, peak,
            await OutputFileReader.ReadAsync(work.Stdout, cap, cancellationToken).ConfigureAwait(false),
            await OutputFileReader.ReadAsync(work.Stderr, cap, cancellationToken).ConfigureAwait(false),
            await OutputFileReader.ReadAsync(work.Strace, cap, cancellationToken).ConfigureAwait(false));
    }

    private static async Task ExitFileAsync(WorkFolder work, Task exited, CancellationToken cancellationToken)
    {
        // A kept-alive container sleeps after the code ends; tracerun.sh writes exit_code at that moment.
        while (!exited.IsCompleted && await ReadExitFileAsync(work, cancellationToken).ConfigureAwait(false) is null)
        {
            await Task.WhenAny(exited, Task.Delay(200, cancellationToken)).ConfigureAwait(false);
        }
    }

    private static async Task<long?> ReadExitFileAsync(WorkFolder work, CancellationToken cancellationToken)
    {
        var text = await OutputFileReader.ReadAsync(work.ExitCode, 32, cancellationToken).ConfigureAwait(false);
        return long.TryParse(text.Text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var code) ? code : null;
    }

    private static DateTimeOffset? ParseTime(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) && t.Year > 1 ? t.ToUniversalTime() : null;

    internal static string ShortId(string id) => id.Length > 12 ? id[..12] : id;
}
