using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Docker;
using DataExchangeTasker.Health;
using DataExchangeTasker.Sandbox.Claims;
using DataExchangeTasker.Sandbox.Collection;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Sandbox.Spec;
using DataExchangeTasker.Witness;
using Docker.DotNet.Models;
using Serilog;

namespace DataExchangeTasker.Sandbox.Run;

/// <summary>
/// Runs a prepared task in a fresh sealed container, or adopts the one an earlier delivery started, and collects its
/// results through the Engine API only. A fresh run attaches to the supervisor before the start
/// (<see cref="SupervisorChannel"/>): its status lines, then its results block (manifest, the code's streams, the
/// trace and a tar of <c>/tmp/out</c> made as the code's uid, each with its length and SHA-256), come on that one
/// stream, with no exec and no log. A container adopted after a tasker restart, or a run whose channel broke, is
/// collected the slower way: two <c>docker exec</c> tar streams (the supervisor's root-only <c>/run/tasker</c>, and
/// <c>/tmp/out</c> as the code's uid). No host path is shared with the container. The container stays (it is the
/// evidence that the task ran, and a redelivery can collect again) until the done message is published; then
/// <see cref="CleanupAsync"/> lets its supervisor go and removes it.
/// </summary>
internal sealed class SandboxRunner(IDockerEngine docker, SandboxOptions options, ContainerSpecFactory specs, string taskerId, ILogger log, TaskMetrics metrics, ITaskWitness? witness = null) : IAsyncDisposable
{
    private readonly ITaskWitness _witness = witness ?? new OffWitness("no witness was configured for this runner");

    /// <summary>Channels of runs collected but not yet cleaned up, by task key: their supervisors wait for the release line.</summary>
    private readonly ConcurrentDictionary<string, SupervisorChannel> _collected = new(StringComparer.Ordinal);

    /// <summary>Deadline of the release line: a write on an open connection.</summary>
    private static readonly TimeSpan ReleaseDeadline = TimeSpan.FromSeconds(5);

    // How long a killed container may still show as running, and how often to look. The engine shows the exit, and the
    // memory limit's kill with it, only once it processed them; a run whose supervisor never reported is then classified
    // from what the engine says (an inspect right after the kill once found it running, without its OOM flag).
    private static readonly TimeSpan ExitShownWithin = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ExitPoll = TimeSpan.FromMilliseconds(100);

    /// <summary>Why an adopted container's run has no witness: opens before this process marked the data went unseen.</summary>
    private const string AdoptedWhy = "the container was started by an earlier tasker process; the witness did not watch it from its start";

    /// <summary>
    /// The clock of the run's waits (the time limit, the grace after it, the release line) and of its stamps (the
    /// deadline label, start and finish); the composition root's. The engine's own call deadlines are not on it.
    /// </summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where this runner's creates and starts are counted (the composition root shares it with container removal).</summary>
    public ContainerStarts Starts { get; init; } = new();

    private SandboxOptions Sandbox => options;

    private ILogger Logger => log;

    /// <summary>The task key of <paramref name="taskId"/>: its container's name (deterministic, so a redelivery finds it).</summary>
    public TaskKey KeyOf(string taskId) => new(ContainerLabels.TaskKey(taskerId, taskId));

    /// <summary>The state of a task's container on this host, if an earlier delivery created one.</summary>
    public async Task<EarlierContainer?> FindAsync(TaskKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        return await docker.InspectContainerAsync(key.Key, cancellationToken).ConfigureAwait(false) is { } found ? new EarlierContainer(found) : null;
    }

    /// <summary>Creates and starts the task's container, and collects its results; stops the code at the deadline.</summary>
    public Task<ContainerRun> RunAsync(PreparedTask task, TaskKey key, CancellationToken cancellationToken) =>
        RunAsync(task, key, RunControl.None, cancellationToken);

    /// <summary>As <see cref="RunAsync(PreparedTask, TaskKey, CancellationToken)"/>; <paramref name="control"/> can stop the code early.</summary>
    public async Task<ContainerRun> RunAsync(PreparedTask task, TaskKey key, RunControl control, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(control);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(key);
        DateTimeOffset? keepUntil = options.KeepAlive ? Time.GetUtcNow() + options.KeepAliveTimeout : null;
        var request = specs.Create(task, keepUntil);
        // From creation (start follows at once): how long a crashed run's container is left to its code (LeftoverSweeper).
        request.Labels[ContainerLabels.Deadline] = (Time.GetUtcNow() + task.Limits.Timeout).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var specSha256 = ContainerSpecDigest.Of(request);
        var createdAt = Time.GetTimestamp();
        // Until the start returned (or this run failed before it): removals of answered tasks' containers wait meanwhile.
        using var starting = Starts.Begin();
        SealedContainer container;
        try
        {
            // Not removed by this run: the container is the evidence that the task ran, until CleanupAsync (or AbandonAsync).
            container = await SealedContainer.CreateAsync(docker, key.Key, request, removeOnDispose: null, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            // Another delivery of this task got here first; never run the code twice.
            throw new TaskAlreadyRunningException(task.Message.TaskId, e);
        }

        var id = container.Id;
        // The witness marks the data before the code can run, and books the run's opens until it has ended.
        await using var witnessing = await _witness.BeginAsync(task, id, cancellationToken).ConfigureAwait(false);

        // Attached before the start: the engine keeps no copy of the container's stdout, so what is not read live is gone.
        var channel = await container.AttachSupervisorAsync(cancellationToken).ConfigureAwait(false);
        ContainerRun run;
        try
        {
            await container.StartAsync(cancellationToken).ConfigureAwait(false);
            starting.Dispose();
            var startReturned = Time.GetUtcNow();
            witnessing.ContainerStarted();
            metrics.ContainerStarted(Time.GetElapsedTime(createdAt));
            log.Information("Task {TaskId:l} started in container {ContainerId:l} (code snapshot {Snapshot:l})",
                task.Message.TaskId, ContainerIds.Shorten(id), task.Snapshot.Hash);
            control.Started?.Invoke();
            run = await WatchAsync(new Watched(id, key, channel, startReturned, Adopted: false), task.Limits.Timeout, Time.GetTimestamp(), control.StopRequested, cancellationToken).ConfigureAwait(false);
            channel = null;
        }
        finally
        {
            if (channel is not null)
            {
                await channel.DisposeAsync().ConfigureAwait(false);
            }
        }

        // The image ran is the one the request named: by id for an approved image, by TASKER_IMAGE's resolved id otherwise.
        return run with
        {
            ContainerSpecSha256 = specSha256,
            ImageId = run.ImageId ?? (request.Image.StartsWith("sha256:", StringComparison.Ordinal) ? request.Image : null),
            Witness = await witnessing.FinishAsync(cancellationToken).ConfigureAwait(false),
        };
    }

    /// <summary>
    /// Follows a container an earlier delivery started (e.g. before a tasker restart): waits for its results with
    /// the time it has left, then collects them. An exited container's results died with it (tmpfs).
    /// </summary>
    public Task<ContainerRun> AdoptAsync(EarlierContainer earlier, TaskKey key, TimeSpan timeout, CancellationToken cancellationToken) =>
        AdoptAsync(earlier, key, timeout, RunControl.None, cancellationToken);

    /// <summary>As <see cref="AdoptAsync(EarlierContainer, TaskKey, TimeSpan, CancellationToken)"/>; <paramref name="control"/> can stop the code early.</summary>
    public async Task<ContainerRun> AdoptAsync(EarlierContainer earlier, TaskKey key, TimeSpan timeout, RunControl control, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(control);
        ArgumentNullException.ThrowIfNull(earlier);
        ArgumentNullException.ThrowIfNull(key);
        var container = earlier.Inspection;
        var started = ParseTime(container.State?.StartedAt) ?? Time.GetUtcNow();
        var clock = Time.GetTimestamp();
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

        // A channel this process still holds for the task belongs to a collection whose answer never went out: its
        // results were read from it already, so start over.
        await DropChannelAsync(key).ConfigureAwait(false);
        var channel = await SealedContainer.Existing(docker, container.ID).AttachSupervisorAsync(cancellationToken).ConfigureAwait(false);
        ContainerRun run;
        try
        {
            var watched = new Watched(container.ID, key, channel, started, Adopted: true);
            // Whatever the supervisor wrote before this attach is gone (the engine keeps no copy): once its manifest
            // exists its results block went out already, and only the exec path can collect it. Checked after the
            // attach, so a block that starts later arrives whole on the channel.
            if (await ReportedAsync(container.ID, cancellationToken).ConfigureAwait(false))
            {
                // Even past its time limit: its code had ended, and the timeout signal would end the supervisor (and the results).
                run = await CollectReportedAsync(watched, (long)Time.GetElapsedTime(clock).TotalMilliseconds, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var remaining = timeout - (Time.GetUtcNow() - started);
                run = await WatchAsync(watched, remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, clock, control.StopRequested, cancellationToken).ConfigureAwait(false);
            }

            channel = null;
        }
        finally
        {
            if (channel is not null)
            {
                await channel.DisposeAsync().ConfigureAwait(false);
            }
        }

        return run with
        {
            ImageId = run.ImageId ?? container.Image,
            ContainerSpecSha256 = ContainerSpecDigest.Of(container),
            Witness = _witness.NotWatched(AdoptedWhy),
        };
    }

    /// <summary>
    /// Lets the supervisor go and removes the container (unless kept alive for debugging). The answer ledger's record
    /// stays (24 h), so a redelivery whose ack was lost is recognised and not run again.
    /// </summary>
    public async Task CleanupAsync(TaskKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_collected.TryRemove(key.Key, out var channel))
        {
            await using (channel.ConfigureAwait(false))
            {
                await ReleaseAsync(channel, key, cancellationToken).ConfigureAwait(false);
            }
        }

        if (options.KeepAlive)
        {
            return;
        }

        await docker.RemoveContainerAsync(key.Key, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Kills and removes a task's container after an abandoned run (shutdown past the drain timeout).</summary>
    public async Task AbandonAsync(TaskKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await DropChannelAsync(key).ConfigureAwait(false);
        await docker.KillContainerAsync(key.Key, "SIGKILL", cancellationToken).ConfigureAwait(false);
        await docker.RemoveContainerAsync(key.Key, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the channels of runs not cleaned up; their supervisors keep their results for the collect window.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var key in _collected.Keys)
        {
            if (_collected.TryRemove(key, out var channel))
            {
                await channel.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Inspects a container just killed until the engine shows it exited (at most <see cref="ExitShownWithin"/>); null when it is gone.</summary>
    private async Task<ContainerInspectResponse?> InspectOnceExitedAsync(string id, CancellationToken cancellationToken)
    {
        var since = Time.GetTimestamp();
        while (true)
        {
            var container = await docker.InspectContainerAsync(id, cancellationToken).ConfigureAwait(false);
            if (container?.State?.Running != true || Time.GetElapsedTime(since) >= ExitShownWithin)
            {
                return container;
            }

            await Task.Delay(ExitPoll, Time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Under gVisor the memory limit holds the sandbox's own kernel too, and the engine does not always flag the kill
    /// (a fresh-clone run of the gVisor lane: exit 137, OOMKilled false, the code allocating past the limit): a
    /// SIGKILL of a container whose memory reached its limit on the stats stream (only gVisor runs follow it) is that kill.
    /// </summary>
    private static bool KilledAtItsMemoryLimit(ContainerInspectResponse? container, long? peakBytes) =>
        container is { State: { Running: false, ExitCode: 137 }, HostConfig.Memory: > 0 and var limit }
        && peakBytes is { } peak && peak >= limit * 9 / 10;

    /// <summary>How the engine saw a container end, for a run without results: its exit code and whether its memory limit killed it.</summary>
    private static string ExitOf(State? state) => state switch
    {
        null => "",
        { Running: true } => string.Create(CultureInfo.InvariantCulture, $" (the container still ran {ExitShownWithin.TotalSeconds:0} s after it was killed)"),
        _ => string.Create(CultureInfo.InvariantCulture, $" (container exit code {state.ExitCode}, {(state.OOMKilled ? "killed" : "not killed")} by its memory limit)"),
    };

    /// <summary>The release line; a connection that failed meanwhile changes nothing (the removal kills the supervisor).</summary>
    private async Task ReleaseAsync(SupervisorChannel channel, TaskKey key, CancellationToken cancellationToken)
    {
        if (options.KeepAlive)
        {
            // Kept for debugging: the supervisor stays up for the keep-alive time, and the keep-until sweep removes it.
            return;
        }

        using var timer = new CancellationTokenSource(ReleaseDeadline, Time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            await channel.ReleaseAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DockerApiException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            log.Debug("Container {Key:l}: the release line was not written ({Error}); the removal stops the supervisor", key.Key, e.Message);
        }
    }

    private async Task DropChannelAsync(TaskKey key)
    {
        if (_collected.TryRemove(key.Key, out var channel))
        {
            await channel.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A run being watched: the container, its task key, the channel to its supervisor, and when it started.</summary>
    private sealed record Watched(string Id, TaskKey TaskKey, SupervisorChannel Channel, DateTimeOffset StartedAt, bool Adopted);

    /// <summary>Waits for the supervisor's results (stopping the code at the timeout or on request) and collects them; owns the channel.</summary>
    private async Task<ContainerRun> WatchAsync(Watched watched, TimeSpan timeout, long clock, Task stopRequested, CancellationToken cancellationToken)
    {
        var id = watched.Id;
        var handedOver = false;
        using var watchStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Under gVisor the supervisor sees no memory cgroup, so the engine's stats stream is the only peak there is.
        var peak = GvisorLimits.IsGvisor(options.Runtime) ? docker.TrackPeakMemoryAsync(id, watchStop.Token) : Task.FromResult<long?>(null);
        var ready = watched.Channel.ReadyAsync(line => log.Write(
            line.StartsWith(SupervisorChannel.SurvivorsPrefix, StringComparison.Ordinal) ? Serilog.Events.LogEventLevel.Warning : Serilog.Events.LogEventLevel.Information,
            "Container {ContainerId:l}: {SupervisorLine:l}", ContainerIds.Shorten(id), line), watchStop.Token);
        var timedOut = false;
        try
        {
            bool stop;
            try
            {
                var first = await Task.WhenAny(ready, stopRequested).WaitAsync(timeout, Time, cancellationToken).ConfigureAwait(false);
                stop = first != ready && !ready.IsCompleted;
            }
            catch (TimeoutException)
            {
                stop = timedOut = true;
            }

            bool gotReady;
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
                    log.Information("Container {ContainerId:l} passed its time limit; stopping the code", ContainerIds.Shorten(id));
                }
                else
                {
                    log.Information("Container {ContainerId:l}: task cancelled; stopping the code", ContainerIds.Shorten(id));
                }

                await docker.KillContainerAsync(id, "SIGUSR1", cancellationToken).ConfigureAwait(false);
                try
                {
                    gotReady = await ready.WaitAsync(SealedContainer.TimeoutGrace, Time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    gotReady = false;
                }
            }

            var finishedAt = Time.GetUtcNow();
            var duration = (long)Time.GetElapsedTime(clock).TotalMilliseconds;
            if (!gotReady)
            {
                await docker.KillContainerAsync(id, "SIGKILL", cancellationToken).ConfigureAwait(false);
                await watchStop.CancelAsync().ConfigureAwait(false);
                var gone = await InspectOnceExitedAsync(id, cancellationToken).ConfigureAwait(false);
                var goneStart = watched.Adopted ? watched.StartedAt : ParseTime(gone?.State?.StartedAt) ?? watched.StartedAt;
                var peakBytes = await peak.ConfigureAwait(false);
                return new ContainerRun(id, timedOut, gone?.State?.OOMKilled == true || KilledAtItsMemoryLimit(gone, peakBytes), goneStart, finishedAt,
                    Duration(goneStart, finishedAt, duration), peakBytes, null, null, null,
                    timedOut ? string.Create(CultureInfo.InvariantCulture, $"the code did not stop within {SealedContainer.TimeoutGrace.TotalSeconds:0} s of the timeout") : "the supervisor ended without reporting results" + ExitOf(gone?.State))
                {
                    ImageId = gone?.Image,
                };
            }

            Collected collected;
            try
            {
                collected = await CollectFromChannelAsync(watched, cancellationToken).ConfigureAwait(false);
            }
            catch (ResultsChannelBrokenException e)
            {
                log.Warning("Container {ContainerId:l}: the results channel broke ({Error:l}); collecting with docker exec instead", ContainerIds.Shorten(id), e.Message);
                if (await docker.InspectContainerAsync(id, cancellationToken).ConfigureAwait(false) is not { State.Running: true } state)
                {
                    await watchStop.CancelAsync().ConfigureAwait(false);
                    return new ContainerRun(id, timedOut, false, watched.StartedAt, finishedAt, Duration(watched.StartedAt, finishedAt, duration),
                        await peak.ConfigureAwait(false), null, null, null, "the container ended before its results were collected (the results channel broke: " + e.Message + ")");
                }

                collected = await CollectByExecAsync(id, watched.TaskKey.Key, cancellationToken).ConfigureAwait(false);
            }

            await watchStop.CancelAsync().ConfigureAwait(false);
            handedOver = Keep(watched);
            var started = watched.Adopted ? watched.StartedAt : collected.Results?.Manifest?.StartedAt ?? watched.StartedAt;
            return new ContainerRun(id, timedOut, false, started, finishedAt, Duration(started, finishedAt, duration),
                collected.Results?.Manifest?.PeakMemoryBytes ?? await peak.ConfigureAwait(false), collected.Results, collected.Outputs, collected.Folder, null)
            {
                OutputsUnstored = collected.Unstored,
            };
        }
        finally
        {
            await watchStop.CancelAsync().ConfigureAwait(false);
            await ready.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            if (!handedOver)
            {
                await watched.Channel.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>An adopted container whose supervisor reported before this process attached: collected with docker exec.</summary>
    private async Task<ContainerRun> CollectReportedAsync(Watched watched, long duration, CancellationToken cancellationToken)
    {
        var handedOver = false;
        try
        {
            var finishedAt = Time.GetUtcNow();
            var collected = await CollectByExecAsync(watched.Id, watched.TaskKey.Key, cancellationToken).ConfigureAwait(false);
            handedOver = Keep(watched);
            return new ContainerRun(watched.Id, false, false, watched.StartedAt, finishedAt, Duration(watched.StartedAt, finishedAt, duration),
                collected.Results?.Manifest?.PeakMemoryBytes, collected.Results, collected.Outputs, collected.Folder, null)
            {
                OutputsUnstored = collected.Unstored,
            };
        }
        finally
        {
            if (!handedOver)
            {
                await watched.Channel.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Keeps a collected run's channel until its cleanup (which lets the supervisor go); a kept-alive run's is closed
    /// at once, its supervisor staying up for the keep-alive time. True: the channel is no longer the caller's.
    /// </summary>
    private bool Keep(Watched watched)
    {
        if (options.KeepAlive)
        {
            // Warning, not Information: a kept-alive container still holds the task's private data.
            log.Warning("Container {ContainerId:l} is kept alive for debugging (up to {KeepAliveSeconds} s); open a shell in it with: docker exec -it {ContainerShortId} sh (root with the tracer's capabilities), or as the code's uid: docker exec -it -u {CodeUser} {ContainerShortId} sh",
                ContainerIds.Shorten(watched.Id), (long)options.KeepAliveTimeout.TotalSeconds, ContainerIds.Shorten(watched.Id), options.User, ContainerIds.Shorten(watched.Id));
            return false;
        }

        if (_collected.TryRemove(watched.TaskKey.Key, out var earlier))
        {
            _ = earlier.DisposeAsync().AsTask();
        }

        _collected[watched.TaskKey.Key] = watched.Channel;
        return true;
    }

    /// <summary>Whether the supervisor of a running container has written its manifest (so its results block went out).</summary>
    private async Task<bool> ReportedAsync(string id, CancellationToken cancellationToken)
    {
        var result = await SealedContainer.Existing(docker, id).ExecAsync("0:0", ["test", "-f", "/run/tasker/manifest"], static (stream, ct) => stream.CopyToAsync(Stream.Null, ct), cancellationToken).ConfigureAwait(false);
        return result.ExitCode == 0;
    }

    /// <summary>Reads the results block from the channel, the outputs into the task's results folder.</summary>
    private async Task<Collected> CollectFromChannelAsync(Watched watched, CancellationToken cancellationToken)
    {
        using var timer = new CancellationTokenSource(SealedContainer.CollectDeadline, Time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        var folder = Path.Combine(options.ResultsRoot, watched.TaskKey.Key);
        var store = new OutputStore(this, watched.Id, folder);
        // A results disk that refuses even the folder: the block is still read (its streams and trace are the answer).
        var unwritable = store.Prepare();
        try
        {
            var results = await watched.Channel.ReadResultsAsync(BlockLimits, unwritable is null ? store.ExtractAsync : static (_, _) => Task.CompletedTask, deadline.Token).ConfigureAwait(false);
            return Log(watched.Id, unwritable is null ? store.Finish(results, results.Manifest?.OutputsStatus ?? 0) : new Collected(results, null, null, unwritable));
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            TryDeleteResults(folder);
            throw new ResultsChannelBrokenException($"The results block did not arrive within {SealedContainer.CollectDeadline.TotalMinutes} min.", e);
        }
        catch (ResultsChannelBrokenException)
        {
            TryDeleteResults(folder);
            throw;
        }
    }

    private ResultsBlockLimits BlockLimits =>
        new(options.OutputLimitBytes, options.FileSizeLimitBytes, SealedContainer.ArchiveCap(options.WorkSizeLimitBytes));

    /// <summary>The slower path: <c>/run/tasker</c> and <c>/tmp/out</c> as two docker exec tar streams.</summary>
    private async Task<Collected> CollectByExecAsync(string id, string key, CancellationToken cancellationToken)
    {
        SupervisorResults? results = null;
        var container = SealedContainer.Existing(docker, id);
        var read = await container.TarAsync("0:0", "/run/tasker", ["manifest", "stdout.txt", "stderr.txt", "strace.txt"], async (stream, ct) =>
            results = await SupervisorArchiveReader.ReadAsync(stream, options.OutputLimitBytes, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        if (read.ExitCode != 0)
        {
            // A missing manifest (the supervisor died early) makes tar complain; the classifier reports that.
            log.Warning("Container {ContainerId:l}: collecting /run/tasker ended with status {Status}: {Stderr:l}", ContainerIds.Shorten(id), read.ExitCode, read.Stderr.Trim());
        }

        var store = new OutputStore(this, id, Path.Combine(options.ResultsRoot, key));
        if (store.Prepare() is { } unwritable)
        {
            return Log(id, new Collected(results, null, null, unwritable));
        }

        if (results?.Manifest is { HasOutputs: false })
        {
            // The code left /tmp/out empty: a second exec (the engine's costliest call per task here) has nothing to fetch.
            return Log(id, store.Finish(results, 0));
        }

        var extracted = await container.TarAsync(options.User, "/tmp/out", ["."], store.ExtractAsync, cancellationToken).ConfigureAwait(false);
        if (extracted.ExitCode != 0)
        {
            // tar skipped what the code's own uid cannot read (e.g. a file it made mode 000): that file is dropped.
            log.Warning("Container {ContainerId:l}: archiving /tmp/out ended with status {Status}: {Stderr:l}", ContainerIds.Shorten(id), extracted.ExitCode, extracted.Stderr.Trim());
        }

        return Log(id, store.Finish(results, extracted.ExitCode is 0 or null ? 0 : 1));
    }

    /// <summary>Logs the stream digests and the refused outputs of a collection.</summary>
    private Collected Log(string id, Collected collected)
    {
        if (collected.Results is { } results)
        {
            log.Information("Container {ContainerId:l}: stdout {StdoutBytes} B sha256 {StdoutSha256:l}, stderr {StderrBytes} B sha256 {StderrSha256:l}, trace {StraceBytes} B sha256 {StraceSha256:l}",
                ContainerIds.Shorten(id), results.Stdout.Length, results.Stdout.Sha256, results.Stderr.Length, results.Stderr.Sha256, results.Strace.Length, results.Strace.Sha256);
        }

        if (collected.Outputs is { Refused.Count: > 0 } outputs)
        {
            log.Warning("Container {ContainerId:l}: {Count} output entries not stored; the first: {Refused}",
                ContainerIds.Shorten(id), outputs.Refused.Count, outputs.Refused.Entries.Take(20).Select(r => $"{r.Path} ({r.Reason})"));
        }

        return collected;
    }

    /// <summary>The results disk could not be written: nothing of the task's files stays, the rest of the run is kept.</summary>
    private Collected Unstored(string id, string folder, SupervisorResults? results, ResultsUnwritableException error)
    {
        log.Error("Container {ContainerId:l}: output files not stored: {Error:l}", ContainerIds.Shorten(id), error.Message);
        TryDeleteResults(folder);
        return new Collected(results, null, null, error.Message);
    }

    /// <summary>What collecting a run brought back.</summary>
    private sealed record Collected(SupervisorResults? Results, ExtractedOutputs? Outputs, string? Folder, string? Unstored);

    /// <summary>
    /// The task's results folder while one tar of <c>/tmp/out</c> is extracted into it (<see cref="OutputArchiveExtractor"/>,
    /// capped): made fresh, kept only when a file was stored.
    /// </summary>
    private sealed class OutputStore(SandboxRunner runner, string id, string folder)
    {
        private ExtractedOutputs? _outputs;
        private bool _unreadable;
        private ResultsUnwritableException? _unwritable;

        /// <summary>Removes what an earlier attempt left and makes the results root; the reason when the disk refuses.</summary>
        public string? Prepare()
        {
            try
            {
                DeleteResults(folder);
                Directory.CreateDirectory(runner.Sandbox.ResultsRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
                return null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return runner.Unstored(id, folder, null, new ResultsUnwritableException(runner.Sandbox.ResultsRoot, e)).Unstored;
            }
        }

        /// <summary>
        /// Extracts one tar stream. An unreadable or overlong archive keeps no file (and says so); a results disk that
        /// refuses is remembered (<see cref="Finish"/> reports it). Failures of the stream itself pass through.
        /// </summary>
        public async Task ExtractAsync(Stream archive, CancellationToken cancellationToken)
        {
            var limits = new OutputLimits(runner.Sandbox.OutputFilesLimit, runner.Sandbox.WorkSizeLimitBytes);
            try
            {
                await using var capped = new CappedReadStream(archive, SealedContainer.ArchiveCap(runner.Sandbox.WorkSizeLimitBytes));
                _outputs = await OutputArchiveExtractor.ExtractAsync(capped, folder, limits, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
            {
                runner.Logger.Warning("Container {ContainerId:l}: the archive of /tmp/out is unreadable or too long; no output file is kept: {Error}", ContainerIds.Shorten(id), e.Message);
                runner.TryDeleteResults(folder);
                _unreadable = true;
            }
            catch (ResultsUnwritableException e)
            {
                _unwritable = e;
            }
        }

        /// <summary>The collection once the archive was read: tar's non-zero status marks the outputs incomplete; no file kept, no folder.</summary>
        public Collected Finish(SupervisorResults? results, int tarStatus)
        {
            if (_unwritable is not null)
            {
                return runner.Unstored(id, folder, results, _unwritable);
            }

            var outputs = _unreadable ? ExtractedOutputs.Empty with { Truncated = true } : _outputs;
            if (outputs is not null && tarStatus != 0)
            {
                outputs = outputs with { Truncated = true };
            }

            if (outputs is null && results?.Manifest is { HasOutputs: false })
            {
                outputs = ExtractedOutputs.Empty;
            }

            if (outputs is null || outputs.Files.Count == 0)
            {
                runner.TryDeleteResults(folder);
                return new Collected(results, outputs, null, null);
            }

            return new Collected(results, outputs, folder, null);
        }
    }

    private static void DeleteResults(string folder)
    {
        if (!Directory.Exists(folder))
        {
            // Nothing from an earlier attempt (the common case: no exception thrown per task for it).
            return;
        }

        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Gone meanwhile.
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

    /// <summary>From the start to "results ready" as the tasker saw it; the tasker's own clock without a start time.</summary>
    private static long Duration(DateTimeOffset? started, DateTimeOffset finished, long measured) =>
        started is { } s && finished >= s ? (long)(finished - s).TotalMilliseconds : measured;

    private static DateTimeOffset? ParseTime(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) && t.Year > 1 ? t.ToUniversalTime() : null;
}
