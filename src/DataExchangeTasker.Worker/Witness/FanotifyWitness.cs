using System.Globalization;
using System.Text;
using System.Threading.Channels;
using DataExchangeTasker.Docker;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Sandbox.Run;
using Serilog;

namespace DataExchangeTasker.Witness;

/// <summary>
/// The fanotify witness, and the single owner of its fanotify group. One dedicated reader thread blocks in
/// <c>poll</c>, reads events as they come (promptly, so the process behind an open can still be looked up), resolves
/// each (mount, path, process), closes its descriptors and books it (<see cref="WitnessLedger"/>, touched by this
/// thread only). Tasks reach the loop through a channel of <see cref="WitnessRequest"/>s, applied after each read
/// and before its events are booked: a task's watch (posted before its container starts) is therefore in place
/// before any event its container caused, and its summary is taken after a fence that follows all of them. One
/// thread, no thread-pool wake-up per event. Shutdown is ordered: stop the loop, answer what is pending, close the
/// group (which drops all marks).
/// </summary>
internal sealed class FanotifyWitness : ITaskWitness
{
    /// <summary>Deadline of the engine lookup that finds a started container's init process.</summary>
    private static readonly TimeSpan InspectDeadline = TimeSpan.FromSeconds(10);

    /// <summary>(mount, device, inode) of opens already booked as a live, non-root container process's; bounded.</summary>
    private const int SeenLimit = 100_000;

    private const int ReadBufferBytes = 64 * 1024;

    /// <summary>
    /// After a short read, how long the reader lets events gather before reading again (a task request cuts it short).
    /// Reading each event as it comes would wake this thread (and charge the opener a wake-up) per open; the mount of
    /// an open says whose it was even once its process is gone, so promptness buys little. The kernel's queue holds
    /// 16,384 events: several milliseconds of even a hostile opener's fastest rate.
    /// </summary>
    private const int GatherMs = 4;

    /// <summary>A read this full means more is queued: read again at once.</summary>
    private const int ShortReadBytes = ReadBufferBytes / 2;

    private readonly FanotifyGroup _group;
    private readonly MarkTable _marks;
    private readonly IDockerEngine _docker;
    private readonly bool _standsIn;
    private readonly ILogger _log;
    private readonly Channel<WitnessRequest> _requests = Channel.CreateUnbounded<WitnessRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly WitnessLedger _ledger = new();
    private readonly TaskCompletionSource _readerEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopping;
    private volatile string? _failed;

    private FanotifyWitness(FanotifyGroup group, IDockerEngine docker, bool standsIn, ILogger log)
    {
        _group = group;
        _marks = new MarkTable(new GroupMarks(group));
        _docker = docker;
        _standsIn = standsIn;
        _log = log;
        new Thread(ReadLoop) { IsBackground = true, Name = "fanotify witness" }.Start();
    }

    /// <inheritdoc />
    public string Description => "fanotify (" + (_group.PidFds ? "pidfd reporting" : "no pidfd reporting on this kernel: attributed by pid") +
        (_standsIn ? "; TASKER_STRACE_FILTER records no opens, so the witness list stands in for dataRead" : "") + ")";

    /// <summary>Inode marks the group holds now, as the kernel counts them (<c>/proc/self/fdinfo</c>).</summary>
    public int InodeMarks => _group.InodeMarks();

    /// <summary>
    /// Opens the witness; throws <see cref="WitnessUnavailableException"/> when this host cannot have one.
    /// <paramref name="straceFilter"/> decides whether the list is compared with the trace or stands in for it.
    /// </summary>
    public static FanotifyWitness Start(IDockerEngine docker, string straceFilter, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(docker);
        ArgumentNullException.ThrowIfNull(log);
        return new FanotifyWitness(FanotifyGroup.Open(), docker, !StraceFilterCoverage.RecordsOpens(straceFilter), log);
    }

    /// <inheritdoc />
    public ValueTask<IWitnessSession> BeginAsync(PreparedTask task, string containerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        if (_failed is { } failure)
        {
            return ValueTask.FromResult<IWitnessSession>(new Unwatched(WitnessSummary.NotWatched("the witness failed earlier: " + failure)));
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (objects, capped) = DataMarks.Of(task.Data.HostPath, task.Data.IsDirectory);
        var marks = _marks.Acquire(objects);
        _log.Debug("Witness for task {TaskId:l}: {Objects} data objects marked in {MarkMs:0.0} ms", task.Message.TaskId, objects.Count, clock.Elapsed.TotalMilliseconds);
        if (marks.Failures.Count > 0 || objects.Count == 0)
        {
            marks.Release();
            var why = objects.Count == 0
                ? $"the data at {task.Data.HostPath} could not be read to mark it"
                : $"{marks.Failures.Count} of {objects.Count} data folders could not be marked ({string.Join(", ", marks.Failures.Take(3))})";
            _log.Warning("Task {TaskId:l}: the witness does not watch this run: {Why:l}", task.Message.TaskId, why);
            return ValueTask.FromResult<IWitnessSession>(new Unwatched(WitnessSummary.NotWatched(why)));
        }

        if (capped)
        {
            _log.Warning("Task {TaskId:l}: the data has more than {Max} folders; the witness marks the first {Max} only", task.Message.TaskId, DataMarks.MaxFolders, DataMarks.MaxFolders);
        }

        var watched = new WatchedTask(containerId, task.Data.ContainerPath) { PartlyMarked = capped };
        Post(new WitnessRequest.Watch(watched));
        return ValueTask.FromResult<IWitnessSession>(new FanotifyWitnessSession(this, watched, marks, task.Data.Identity));
    }

    /// <inheritdoc />
    public WitnessSummary NotWatched(string why) => WitnessSummary.NotWatched(why);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _group.Wake();
        await _readerEnded.Task.ConfigureAwait(false);
        _group.Dispose();
    }

    /// <summary>Completes once every event the kernel queued before this call has been booked.</summary>
    internal async Task FenceAsync(CancellationToken cancellationToken)
    {
        var fence = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new WitnessRequest.Fence(fence));
        await fence.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops watching <paramref name="task"/> and returns what it opened.</summary>
    internal async Task<WitnessSummary> UnwatchAsync(WatchedTask task, CancellationToken cancellationToken)
    {
        var summary = new TaskCompletionSource<WitnessSummary>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new WitnessRequest.Unwatch(task, _standsIn, summary));
        return await summary.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Logs (debug) how long a task's end waited for the witness, per step.</summary>
    internal void Timed(WatchedTask task, double lookupMs, double fenceMs, double unwatchMs) =>
        _log.Debug("Witness for container {ContainerId:l}: waited {LookupMs:0.0} ms for the mount lookup, {FenceMs:0.0} ms for the fence, {UnwatchMs:0.0} ms for the summary",
            ContainerIds.Shorten(task.ContainerId), lookupMs, fenceMs, unwatchMs);

    /// <summary>Drops a task without a summary (its run was abandoned).</summary>
    internal void Forget(WatchedTask task) =>
        Post(new WitnessRequest.Unwatch(task, _standsIn, new TaskCompletionSource<WitnessSummary>(TaskCreationOptions.RunContinuationsAsynchronously)));

    /// <summary>
    /// Finds the mount the task's data arrives through in its container: a process of the container (from the cgroup
    /// file system, else from the engine), and <c>statx</c> of the data through <c>/proc/&lt;pid&gt;/root</c>, which
    /// gives the mount's unique id. It must be the very object the task resolved, or it is not used (the supervisor
    /// then refuses the run anyway).
    /// </summary>
    internal async Task FindMountAsync(WatchedTask task, FileIdentity? identity, CancellationToken cancellationToken)
    {
        try
        {
            long pid = ContainerProcesses.AnyPid(task.ContainerId) ?? 0;
            if (pid <= 0)
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                deadline.CancelAfter(InspectDeadline);
                pid = await _docker.MainPidAsync(task.ContainerId, deadline.Token).ConfigureAwait(false) ?? 0;
            }

            if (pid <= 0)
            {
                return;
            }

            var mounted = MountedObject.OfPath("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/root" + task.ContainerPath);
            if (mounted is not { } found || (identity is not null && (found.Device != identity.Device || found.Inode != identity.Inode)))
            {
                return;
            }

            Post(new WitnessRequest.MountFound(task, found.MountId));
        }
        catch (Exception e) when (e is DockerApiException or OperationCanceledException or IOException)
        {
            // Attribution by cgroup still works; only opens by processes gone before their event was read lose precision.
            _log.Debug("Witness: no mount id for container {ContainerId:l}: {Error}", ContainerIds.Shorten(task.ContainerId), e.Message);
        }
    }

    private void Post(WitnessRequest request)
    {
        if (_requests.Writer.TryWrite(request))
        {
            _group.Wake();
        }
        else
        {
            // Only after shutdown: nobody may wait for a loop that has ended.
            Answer(request, "the tasker was stopping");
        }
    }

    private static void Answer(WitnessRequest request, string why)
    {
        switch (request)
        {
            case WitnessRequest.Unwatch unwatch:
                unwatch.Summary.TrySetResult(WitnessSummary.NotWatched(why));
                break;
            case WitnessRequest.Fence fence:
                fence.Passed.TrySetResult();
                break;
        }
    }

    private void ReadLoop()
    {
        var buffer = new byte[ReadBufferBytes];
        var events = new List<FanotifyEvent>();
        var fences = new List<(TaskCompletionSource Fence, int Remaining)>();
        var seen = new HashSet<MountedObject>();
        var openers = new OpenerCache();
        try
        {
            while (!_stopping)
            {
                _group.Wait();
                _group.ClearWake();
                // Read until the kernel's queue is empty (or a fence is due), booking as we go.
                while (!_stopping)
                {
                    var read = _group.Read(buffer);
                    events.Clear();
                    if (read > 0)
                    {
                        try
                        {
                            FanotifyEventParser.Parse(buffer.AsSpan(0, read), _group.PidFds, events);
                        }
                        catch (InvalidDataException e)
                        {
                            _log.Error("Witness: unreadable fanotify events, counted as lost: {Error}", e.Message);
                            _ledger.EventsLost();
                        }
                    }

                    // Resolved now (the processes may be about to exit), booked after the requests posted so far: a
                    // task's watch was posted before its container started, so before any of these events happened.
                    var opens = new List<WitnessedOpen>(events.Count);
                    var lost = false;
                    foreach (var item in events)
                    {
                        lost |= item.IsOverflow;
                        if (Resolve(item, seen, openers) is { } open)
                        {
                            opens.Add(open);
                        }
                    }

                    var newFences = ApplyRequests();
                    if (lost)
                    {
                        _log.Warning("Witness: the kernel's event queue overflowed; the runs watched now end trace_incomplete (events lost)");
                        _ledger.EventsLost();
                    }

                    foreach (var open in opens)
                    {
                        _ledger.Apply(open);
                    }

                    // Only now, with this batch booked, may a fence pass. Earlier fences count the bytes read since; one
                    // whose request found the queue empty (or that sees it empty now) has nothing left to wait for.
                    var waiting = new List<(TaskCompletionSource Fence, int Remaining)>();
                    foreach (var (fence, remaining) in fences)
                    {
                        if (read == 0 || remaining - read <= 0)
                        {
                            fence.TrySetResult();
                        }
                        else
                        {
                            waiting.Add((fence, remaining - read));
                        }
                    }

                    foreach (var (fence, queued) in newFences)
                    {
                        if (queued == 0)
                        {
                            fence.TrySetResult();
                        }
                        else
                        {
                            waiting.Add((fence, queued));
                        }
                    }

                    fences = waiting;
                    if (read == 0)
                    {
                        break;
                    }

                    if (read < ShortReadBytes && fences.Count == 0)
                    {
                        _group.Nap(GatherMs);
                        _group.ClearWake();
                    }
                }
            }
        }
        catch (Exception e)
        {
            // A bug or a broken descriptor: what the witness says from now on cannot be vouched for.
            _failed = e.Message;
            _log.Error(e, "The witness stopped reading events; runs watched now end as if events were lost, later runs are not watched");
            _ledger.EventsLost();
        }
        finally
        {
            _requests.Writer.TryComplete();
            foreach (var (fence, _) in fences)
            {
                fence.TrySetResult();
            }

            // Whatever is still asked is answered (a summary of a failed witness says events were lost).
            while (_requests.Reader.TryRead(out var request))
            {
                if (request is WitnessRequest.Unwatch unwatch && !_stopping)
                {
                    _ledger.Unwatch(unwatch.Task);
                    unwatch.Summary.TrySetResult(unwatch.Task.Summary(unwatch.StandsIn));
                }
                else
                {
                    Answer(request, "the tasker was stopping");
                }
            }

            _readerEnded.TrySetResult();
        }
    }

    /// <summary>
    /// Applies every request posted so far. Fences are returned with the bytes the kernel holds queued now (taken after
    /// their request, so every event before it is either read already or among those bytes).
    /// </summary>
    private List<(TaskCompletionSource Fence, int Queued)> ApplyRequests()
    {
        var fences = new List<(TaskCompletionSource Fence, int Queued)>();
        while (_requests.Reader.TryRead(out var request))
        {
            switch (request)
            {
                case WitnessRequest.Watch watch:
                    _ledger.Watch(watch.Task);
                    break;
                case WitnessRequest.MountFound mount:
                    _ledger.MountFound(mount.Task, mount.MountId);
                    break;
                case WitnessRequest.Fence fence:
                    fences.Add((fence.Passed, _group.QueuedBytes()));
                    break;
                case WitnessRequest.Unwatch unwatch:
                    _ledger.Unwatch(unwatch.Task);
                    unwatch.Summary.TrySetResult(unwatch.Task.Summary(unwatch.StandsIn));
                    break;
            }
        }

        return fences;
    }

    /// <summary>
    /// Turns one event into a <see cref="WitnessedOpen"/>, closing its descriptors; null for an overflow marker and
    /// for a repeat of an open already booked.
    /// </summary>
    private static WitnessedOpen? Resolve(FanotifyEvent item, HashSet<MountedObject> seen, OpenerCache openers)
    {
        try
        {
            if (item.IsOverflow || item.Fd < 0 || MountedObject.OfDescriptor(item.Fd) is not { } opened || seen.Contains(opened))
            {
                return null;
            }

            var opener = openers.Find(item.Pid, item.PidFd);
            var path = PathOf(item.Fd);
            if (opener.Kind != OpenerKind.Gone && !opener.Root)
            {
                // Later events of this object through this mount by the code add nothing; the first is kept.
                if (seen.Count >= SeenLimit)
                {
                    seen.Clear();
                }

                seen.Add(opened);
            }

            return new WitnessedOpen(opened.MountId, path, opener);
        }
        finally
        {
            if (item.Fd >= 0)
            {
                FanotifyNative.close(item.Fd);
            }

            if (item.PidFd >= 0)
            {
                FanotifyNative.close(item.PidFd);
            }
        }
    }

    /// <summary>
    /// The path of an event's descriptor as the kernel prints it. For a file reached through a container's mount,
    /// which the host's root cannot reach, the kernel prints it from that container's root: <c>/tmp/data/...</c>.
    /// </summary>
    private static unsafe string PathOf(int fd)
    {
        const int max = 4096;
        var buffer = stackalloc byte[max];
        var length = FanotifyNative.readlink("/proc/self/fd/" + fd.ToString(CultureInfo.InvariantCulture), buffer, max);
        return length <= 0 ? "" : WitnessPaths.Normalize(Encoding.UTF8.GetString(buffer, (int)length));
    }

    /// <summary>The group as a <see cref="IMarkTarget"/>.</summary>
    private sealed class GroupMarks(FanotifyGroup group) : IMarkTarget
    {
        public int Mark(string path, bool folder) => group.Mark(path, folder);

        public int Unmark(string path, bool folder) => group.Unmark(path, folder);

        public int Flush() => group.Flush();
    }

    /// <summary>A session for a run the witness could not watch.</summary>
    private sealed class Unwatched(WitnessSummary summary) : IWitnessSession
    {
        public void ContainerStarted()
        {
        }

        public Task<WitnessSummary> FinishAsync(CancellationToken cancellationToken) => Task.FromResult(summary);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
