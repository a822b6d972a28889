using System.Diagnostics;
using System.Globalization;
using System.Net;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Docker;
using DataExchangeTasker.Health;
using DataExchangeTasker.Witness;
using Docker.DotNet.Models;
using Serilog;

namespace DataExchangeTasker.Sandbox;

/// <summary>
/// Runs a prepared task in a fresh sealed container, or adopts the one an earlier delivery started, and collects
/// its results through the Engine API only: the supervisor's status line from the container log, then two
/// <c>docker exec</c> tar streams (the supervisor's root-only <c>/run/tasker</c>, and <c>/tmp/out</c> as the code's
/// uid). No host path is shared with the container. The container stays (it is the evidence that the task ran,
/// and a redelivery can collect again) until the done message is published; then <see cref="CleanupAsync"/> removes it.
/// </summary>
public sealed class SandboxRunner(IDockerEngine docker, SandboxOptions options, ContainerSpecFactory specs, string taskerId, ILogger log, TaskMetrics metrics, ITaskWitness? witness = null)
{
    private readonly ITaskWitness _witness = witness ?? new OffWitness("no witness was configured for this runner");

    /// <summary>The supervisor's line once its results are final and no process of the code is left.</summary>
    public const string ReadyLine = "tasker-supervisor: results ready";

    private const string SupervisorLinePrefix = "tasker-supervisor: ";

    /// <summary>The supervisor logs a few short lines; a log longer than this is not its own.</summary>
    private const long LogLimitBytes = 64 * 1024;

    /// <summary>How long the code has to stop after the timeout signal before the container is killed outright.</summary>
    private static readonly TimeSpan TimeoutGrace = TimeSpan.FromSeconds(30);

    /// <summary>How long an adopted container's log may take to replay a line written before the adoption.</summary>
    private static readonly TimeSpan ReplayGrace = TimeSpan.FromSeconds(5);

    /// <summary>Deadline of each collecting exec (reading included): up to the work size limit of files at disk speed.</summary>
    private static readonly TimeSpan CollectDeadline = TimeSpan.FromMinutes(5);

    /// <summary>Why an adopted container's run has no witness: opens before this process marked the data went unseen.</summary>
    private const string AdoptedWhy = "the container was started by an earlier tasker process; the witness did not watch it from its start";

    /// <summary>The container a task uses (deterministic, so a redelivery finds it).</summary>
    public TaskSite SiteOf(string taskId) => new(ContainerLabels.TaskKey(taskerId, taskId));

    /// <summary>The state of a task's container on this host, if an earlier delivery created one.</summary>
    public Task<ContainerInspectResponse?> FindAsync(TaskSite site, CancellationToken cancellationToken) =>
        docker.InspectContainerAsync(site.Key, cancellationToken);

    /// <summary>Creates and starts the task's container, and collects its results; stops the code at the deadline.</summary>
    public Task<ContainerRun> RunAsync(PreparedTask task, TaskSite site, CancellationToken cancellationToken) =>
        RunAsync(task, site, RunControl.None, cancellationToken);

    /// <summary>As <see cref="RunAsync(PreparedTask, TaskSite, CancellationToken)"/>; <paramref name="control"/> can stop the code early.</summary>
    public async Task<ContainerRun> RunAsync(PreparedTask task, TaskSite site, RunControl control, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(control);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(site);
        DateTimeOffset? keepUntil = options.KeepAlive ? DateTimeOffset.UtcNow + options.KeepAliveTimeout : null;
        var request = specs.Create(task, keepUntil);
        // From creation (start follows at once): how long a crashed run's container is left to its code (LeftoverSweeper).
        request.Labels[ContainerLabels.Deadline] = (DateTimeOffset.UtcNow + task.Limits.Timeout).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var specSha256 = ContainerSpecDigest.Of(request);
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

        // The witness marks the data before the code can run, and books the run's opens until it has ended.
        await using var witnessing = await _witness.BeginAsync(task, id, cancellationToken).ConfigureAwait(false);

        // Logs and wait are opened after start: the engine follows only a running container's log, and replays it
        // from the beginning, so no line is missed.
        await docker.StartContainerAsync(id, cancellationToken).ConfigureAwait(false);
        witnessing.ContainerStarted();
        metrics.ContainerStarted(createdAt.Elapsed);
        log.Information("Task {TaskId:l} started in container {ContainerId:l} (code snapshot {Snapshot:l})",
            task.Message.TaskId, ShortId(id), task.Snapshot.Hash);
        control.Started?.Invoke();
        var run = await WatchAsync(id, site, task.Limits.Timeout, Stopwatch.StartNew(), control.StopRequested, cancellationToken).ConfigureAwait(false);
        return run with { ContainerSpecSha256 = specSha256, Witness = await witnessing.FinishAsync(cancellationToken).ConfigureAwait(false) };
    }

    /// <summary>
    /// Follows a container an earlier delivery started (e.g. before a tasker restart): waits for its results with
    /// the time it has left, then collects them. An exited container's results died with it (tmpfs).
    /// </summary>
    public Task<ContainerRun> AdoptAsync(ContainerInspectResponse container, TaskSite site, TimeSpan timeout, CancellationToken cancellationToken) =>
        AdoptAsync(container, site, timeout, RunControl.None, cancellationToken);

    /// <summary>As <see cref="AdoptAsync(ContainerInspectResponse, TaskSite, TimeSpan, CancellationToken)"/>; <paramref name="control"/> can stop the code early.</summary>
    public async Task<ContainerRun> AdoptAsync(ContainerInspectResponse container, TaskSite site, TimeSpan timeout, RunControl control, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(control);
        ArgumentNullException.ThrowIfNull(container);
        var started = ParseTime(container.State?.StartedAt) ?? DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        if (container.State?.Running != true)
        {
            var finished = ParseTime(container.State?.FinishedAt);
            return new ContainerRun(container.ID, false, container.State?.OOMKilled == true, started, finished,
                finished is { } f && f >= started ? (long)(f - started).TotalMilliseconds : 0, null, null, null, null,
                "the container ended before its results were collected (they lived in its memory only)")
            {
                ImageId = container.Image,
                ContainerSpecSha256 = ContainerSpecDigest.Of(container),
                Witness = _witness.NotWatched(AdoptedWhy),
            };
        }

        var remaining = timeout - (DateTimeOffset.UtcNow - started);
        var run = await WatchAsync(container.ID, site, remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, clock, control.StopRequested, cancellationToken, started).ConfigureAwait(false);
        return run with { ContainerSpecSha256 = ContainerSpecDigest.Of(container), Witness = _witness.NotWatched(AdoptedWhy) };
    }

    /// <summary>
    /// Removes the container (unless kept alive for debugging). The published marker stays (the sweeper expires it),
    /// so a redelivery whose ack was lost is recognised and not run again.
    /// </summary>
    public async Task CleanupAsync(TaskSite site, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(site);
        if (options.KeepAlive)
        {
            return;
        }

        await docker.RemoveContainerAsync(site.Key, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Kills and removes a task's container after an abandoned run (shutdown past the drain timeout).</summary>
    public async Task AbandonAsync(TaskSite site, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(site);
        await docker.KillContainerAsync(site.Key, "SIGKILL", cancellationToken).ConfigureAwait(false);
        await docker.RemoveContainerAsync(site.Key, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ContainerRun> WatchAsync(string id, TaskSite site, TimeSpan timeout, Stopwatch clock, Task stopRequested, CancellationToken cancellationToken, DateTimeOffset? adoptedStart = null)
    {
        using var watchStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var peak = docker.TrackPeakMemoryAsync(id, watchStop.Token);
        var ready = ReadyAsync(id, watchStop.Token);
        var timedOut = false;
        bool gotReady;
        try
        {
            bool stop;
            try
            {
                var first = await Task.WhenAny(ready, stopRequested).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
                stop = first != ready && !ready.IsCompleted;
            }
            catch (TimeoutException)
            {
                stop = timedOut = true;
            }

            if (timedOut && adoptedStart is not null && await ReportedBeforeAsync(ready, cancellationToken).ConfigureAwait(false))
            {
                // Adopted past its limit, but its code had ended in time: the supervisor only waits for its results to
                // be fetched, and the timeout signal would end it (and them).
                stop = timedOut = false;
            }

            if (!stop)
            {
                gotReady = await ready.ConfigureAwait(false);
            }
            else
            {
                // Whatever the code wrote anywhere, the tasker's clock (or a cancel) decides: the supervisor kills the
                // code, keeps what it wrote, and still reports its results.
                if (timedOut)
                {
                    log.Information("Container {ContainerId:l} passed its time limit; stopping the code", ShortId(id));
                }
                else
                {
                    log.Information("Container {ContainerId:l}: task cancelled; stopping the code", ShortId(id));
                }

                await docker.KillContainerAsync(id, "SIGUSR1", cancellationToken).ConfigureAwait(false);
                try
                {
                    gotReady = await ready.WaitAsync(TimeoutGrace, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    gotReady = false;
                }
            }

            var finishedAt = DateTimeOffset.UtcNow;
            var duration = clock.ElapsedMilliseconds;
            if (!gotReady)
            {
                await docker.KillContainerAsync(id, "SIGKILL", cancellationToken).ConfigureAwait(false);
                await watchStop.CancelAsync().ConfigureAwait(false);
                var gone = await docker.InspectContainerAsync(id, cancellationToken).ConfigureAwait(false);
                var goneStart = adoptedStart ?? ParseTime(gone?.State?.StartedAt);
                return new ContainerRun(id, timedOut, gone?.State?.OOMKilled == true, goneStart, finishedAt, Duration(goneStart, finishedAt, duration),
                    await peak.ConfigureAwait(false), null, null, null,
                    timedOut ? "the code did not stop within 30 s of the timeout" : "the supervisor ended without reporting results")
                {
                    ImageId = gone?.Image,
                };
            }

            var (results, outputs, folder, unstored) = await CollectAsync(id, site.Key, cancellationToken).ConfigureAwait(false);
            await watchStop.CancelAsync().ConfigureAwait(false);
            var inspected = await docker.InspectContainerAsync(id, cancellationToken).ConfigureAwait(false);
            var state = inspected?.State;
            if (options.KeepAlive)
            {
                // Warning, not Information: a kept-alive container still holds the task's private data.
                log.Warning("Container {ContainerId:l} is kept alive for debugging (up to {KeepAliveSeconds} s); open a shell in it with: docker exec -it {ContainerShortId} sh (root with the tracer's capabilities), or as the code's uid: docker exec -it -u {CodeUser} {ContainerShortId} sh",
                    ShortId(id), (long)options.KeepAliveTimeout.TotalSeconds, ShortId(id), options.User, ShortId(id));
            }

            var started = adoptedStart ?? ParseTime(state?.StartedAt);
            return new ContainerRun(id, timedOut, state?.OOMKilled == true, started, finishedAt, Duration(started, finishedAt, duration),
                await peak.ConfigureAwait(false), results, outputs, folder, null)
            {
                ImageId = inspected?.Image,
                OutputsUnstored = unstored,
            };
        }
        finally
        {
            await watchStop.CancelAsync().ConfigureAwait(false);
            await ready.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Whether an adopted container's supervisor had already reported: its log is replayed from the start, so the line
    /// arrives within moments if it was written.
    /// </summary>
    private static async Task<bool> ReportedBeforeAsync(Task<bool> ready, CancellationToken cancellationToken)
    {
        try
        {
            return await ready.WaitAsync(ReplayGrace, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>True once the supervisor logged <see cref="ReadyLine"/>; false when the log ended (or outgrew its cap) without it.</summary>
    private async Task<bool> ReadyAsync(string id, CancellationToken cancellationToken)
    {
        await foreach (var line in docker.FollowLogLinesAsync(id, LogLimitBytes, cancellationToken).ConfigureAwait(false))
        {
            if (line == ReadyLine)
            {
                return true;
            }

            if (line.StartsWith(SupervisorLinePrefix, StringComparison.Ordinal))
            {
                log.Information("Container {ContainerId:l}: {SupervisorLine:l}", ShortId(id), line);
            }
        }

        return false;
    }

    private async Task<Collected> CollectAsync(string id, string key, CancellationToken cancellationToken)
    {
        SupervisorResults? results = null;
        var supervisor = await docker.CreateExecAsync(id, TarExec("0:0", "/run/tasker", "manifest", "stdout.txt", "stderr.txt", "strace.txt"), cancellationToken).ConfigureAwait(false);
        var read = await docker.RunExecAsync(supervisor, async (stream, ct) =>
            results = await SupervisorArchiveReader.ReadAsync(stream, options.OutputLimitBytes, ct).ConfigureAwait(false), CollectDeadline, cancellationToken).ConfigureAwait(false);
        if (read.ExitCode != 0)
        {
            // A missing manifest (the supervisor died early) makes tar complain; the classifier reports that.
            log.Warning("Container {ContainerId:l}: collecting /run/tasker ended with status {Status}: {Stderr:l}", ShortId(id), read.ExitCode, read.Stderr.Trim());
        }

        if (results is not null)
        {
            log.Information("Container {ContainerId:l}: stdout {StdoutBytes} B sha256 {StdoutSha256:l}, stderr {StderrBytes} B sha256 {StderrSha256:l}, trace {StraceBytes} B sha256 {StraceSha256:l}",
                ShortId(id), results.Stdout.Length, results.Stdout.Sha256, results.Stderr.Length, results.Stderr.Sha256, results.Strace.Length, results.Strace.Sha256);
        }

        var folder = Path.Combine(options.ResultsRoot, key);
        try
        {
            DeleteResults(folder);
            if (results?.Manifest is { HasOutputs: false })
            {
                // The code left /tmp/out empty: a second exec (the engine's costliest call per task here) has nothing to fetch.
                return new Collected(results, ExtractedOutputs.Empty, null, null);
            }

            Directory.CreateDirectory(options.ResultsRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Unstored(id, folder, results, new ResultsUnwritableException(options.ResultsRoot, e));
        }

        ExtractedOutputs? outputs = null;
        var limits = new OutputLimits(options.OutputFilesLimit, options.WorkSizeLimitBytes);
        // /tmp/out can hold no more than the work size limit; allow for tar's headers and padding, no more.
        var archiveCap = options.WorkSizeLimitBytes + (options.WorkSizeLimitBytes / 10) + (16L * 1024 * 1024);
        var code = await docker.CreateExecAsync(id, TarExec(options.User, "/tmp/out", "."), cancellationToken).ConfigureAwait(false);
        ExecResult extracted;
        try
        {
            extracted = await docker.RunExecAsync(code, async (stream, ct) =>
            {
                await using var capped = new CappedReadStream(stream, archiveCap);
                outputs = await OutputArchiveExtractor.ExtractAsync(capped, folder, limits, ct).ConfigureAwait(false);
            }, CollectDeadline, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            log.Warning("Container {ContainerId:l}: the archive of /tmp/out is unreadable or too long; no output file is kept: {Error}", ShortId(id), e.Message);
            TryDeleteResults(folder);
            return new Collected(results, ExtractedOutputs.Empty with { Truncated = true }, null, null);
        }
        catch (ResultsUnwritableException e)
        {
            return Unstored(id, folder, results, e);
        }

        if (outputs is not null && extracted.ExitCode != 0)
        {
            // tar skipped what the code's own uid cannot read (e.g. a file it made mode 000): that file is dropped.
            log.Warning("Container {ContainerId:l}: archiving /tmp/out ended with status {Status}: {Stderr:l}", ShortId(id), extracted.ExitCode, extracted.Stderr.Trim());
            outputs = outputs with { Truncated = true };
        }

        if (outputs is { Refused.Count: > 0 })
        {
            log.Warning("Container {ContainerId:l}: {Count} output entries not stored; the first: {Refused}",
                ShortId(id), outputs.Refused.Count, outputs.Refused.Entries.Take(20).Select(r => $"{r.Path} ({r.Reason})"));
        }

        if (outputs is null || outputs.Files.Count == 0)
        {
            TryDeleteResults(folder);
            return new Collected(results, outputs, null, null);
        }

        return new Collected(results, outputs, folder, null);
    }

    /// <summary>The results disk could not be written: nothing of the task's files stays, the rest of the run is kept.</summary>
    private Collected Unstored(string id, string folder, SupervisorResults? results, ResultsUnwritableException error)
    {
        log.Error("Container {ContainerId:l}: output files not stored: {Error:l}", ShortId(id), error.Message);
        TryDeleteResults(folder);
        return new Collected(results, null, null, error.Message);
    }

    /// <summary>What collecting a run brought back.</summary>
    private sealed record Collected(SupervisorResults? Results, ExtractedOutputs? Outputs, string? Folder, string? Unstored);

    private static ContainerExecCreateParameters TarExec(string user, string folder, params string[] entries) => new()
    {
        User = user,
        AttachStdout = true,
        AttachStderr = true,
        AttachStdin = false,
        TTY = false,
        Privileged = false,
        Cmd = ["tar", "-cf", "-", "-C", folder, .. entries],
    };

    private static void DeleteResults(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing from an earlier attempt.
        }
    }

    /// <summary>Deletes what a failed collection left; a disk that refuses even that is already being reported.</summary>
    private void TryDeleteResults(string folder)
    {
        try
        {
            DeleteResults(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("Could not delete {Folder:l}: {Error:l}", folder, e.Message);
        }
    }

    /// <summary>From the engine's start time to "results ready" as the tasker saw it; the tasker's own clock without a start time.</summary>
    private static long Duration(DateTimeOffset? started, DateTimeOffset finished, long measured) =>
        started is { } s && finished >= s ? (long)(finished - s).TotalMilliseconds : measured;

    private static DateTimeOffset? ParseTime(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) && t.Year > 1 ? t.ToUniversalTime() : null;

    internal static string ShortId(string id) => id.Length > 12 ? id[..12] : id;
}
