using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using DataExchangeTasker.Docker;
using DataExchangeTasker.Governance;
using DataExchangeTasker.Sandbox;
using Serilog;

namespace DataExchangeTasker.Witness;

/// <summary>
/// The fanotify witness, and the single owner of its fanotify group. A dedicated reader thread blocks in
/// <c>poll</c>, reads events as they come (promptly, so the process behind an open can still be looked up), resolves
/// each (mount, path, process) and closes its descriptors; what it resolved flows through a channel to one loop that
/// keeps the per-task books (<see cref="WitnessLedger"/>). Tasks talk to that loop through the same channel, so a
/// task's watch is in place before any of its events and its summary is taken after a fence that follows all of
/// them. Shutdown is ordered: stop the reader, drain the loop, close the group (which drops all marks).
/// </summary>
public sealed class FanotifyWitness : ITaskWitness
{
    /// <summary>Deadline of the engine lookup that finds a started container's init process.</summary>
    private static readonly TimeSpan InspectDeadline = TimeSpan.FromSeconds(10);

    /// <summary>(mount, device, inode) of opens already resolved as a live, non-root container process's; bounded.</summary>
    private const int SeenLimit = 100_000;

    private const int ReadBufferBytes = 64 * 1024;

    private readonly FanotifyGroup _group;
    private readonly MarkTable _marks;
    private readonly IDockerEngine _docker;
    private readonly bool _standsIn;
    private readonly ILogger _log;
    private readonly Channel<WitnessSignal> _signals = Channel.CreateUnbounded<WitnessSignal>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentQueue<TaskCompletionSource> _fenceRequests = new();
    private readonly WitnessLedger _ledger = new();
    private readonly TaskCompletionSource _readerEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _books;
    private volatile bool _stopping;
    private volatile string? _failed;

    private FanotifyWitness(FanotifyGroup group, IDockerEngine docker, bool standsIn, ILogger log)
    {
        _group = group;
        _marks = new MarkTable(new GroupMarks(group));
        _docker = docker;
        _standsIn = standsIn;
        _log = log;
        _books = Task.Run(KeepBooksAsync);
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

        var (objects, capped) = DataMarks.Of(task.Data.HostPath, task.Data.IsDirectory);
        var marks = _marks.Acquire(objects);
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
        Post(new WitnessSignal.Watch(watched));
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
        _signals.Writer.TryComplete();
        await _books.ConfigureAwait(false);
        _group.Dispose();
    }

    /// <summary>Completes once every event the kernel queued before this call has been applied.</summary>
    internal async Task FenceAsync(CancellationToken cancellationToken)
    {
        var fence = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _fenceRequests.Enqueue(fence);
        _group.Wake();
        await fence.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops watching <paramref name="task"/> and returns what it opened.</summary>
    internal async Task<WitnessSummary> UnwatchAsync(WatchedTask task, CancellationToken cancellationToken)
    {
        var summary = new TaskCompletionSource<WitnessSummary>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new WitnessSignal.Unwatch(task, _standsIn, summary));
        return await summary.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drops a task without a summary (its run was abandoned).</summary>
    internal void Forget(WatchedTask task) =>
        Post(new WitnessSignal.Unwatch(task, _standsIn, new TaskCompletionSource<WitnessSummary>(TaskCreationOptions.RunContinuationsAsynchronously)));

    /// <summary>
    /// Finds the mount the task's data arrives through in its container: the engine names the container's init
    /// process, and <c>statx</c> of the data through <c>/proc/&lt;pid&gt;/root</c> gives the mount's unique id. It
    /// must be the very object the task resolved, or it is not used (the supervisor then refuses the run anyway).
    /// </summary>
    internal async Task FindMountAsync(WatchedTask task, FileIdentity? identity, CancellationToken cancellationToken)
    {
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(InspectDeadline);
            var container = await _docker.InspectContainerAsync(task.ContainerId, deadline.Token).ConfigureAwait(false);
            if (container?.State?.Pid is not { } pid || pid <= 0)
            {
                return;
            }

            var mounted = MountedObject.OfPath("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/root" + task.ContainerPath);
            if (mounted is not { } found || (identity is not null && (found.Device != identity.Device || found.Inode != identity.Inode)))
            {
                return;
            }

            Post(new WitnessSignal.MountFound(task, found.MountId));
        }
        catch (Exception e) when (e is DockerApiException or OperationCanceledException or IOException)
        {
            // Attribution by cgroup still works; only opens by processes gone before their event was read lose precision.
            _log.Debug("Witness: no mount id for container {ContainerId:l}: {Error}", SandboxRunner.ShortId(task.ContainerId), e.Message);
        }
    }

    private void Post(WitnessSignal signal)
    {
        if (!_signals.Writer.TryWrite(signal))
        {
            // Only after shutdown: nobody waits for books that are closed.
            if (signal is WitnessSignal.Unwatch unwatch)
            {
                unwatch.Summary.TrySetResult(WitnessSummary.NotWatched("the tasker was stopping"));
            }
            else if (signal is WitnessSignal.Fence fence)
            {
                fence.Passed.TrySetResult();
            }
        }
    }

    private async Task KeepBooksAsync()
    {
        await foreach (var signal in _signals.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            switch (signal)
            {
                case WitnessSignal.Opened opened:
                    _ledger.Apply(opened.Open);
                    break;
                case WitnessSignal.Lost:
                    _ledger.EventsLost();
                    break;
                case WitnessSignal.Fence fence:
                    fence.Passed.TrySetResult();
                    break;
                case WitnessSignal.Watch watch:
                    _ledger.Watch(watch.Task);
                    break;
                case WitnessSignal.MountFound mount:
                    _ledger.MountFound(mount.Task, mount.MountId);
                    break;
                case WitnessSignal.Unwatch unwatch:
                    _ledger.Unwatch(unwatch.Task);
                    unwatch.Summary.TrySetResult(unwatch.Task.Summary(unwatch.StandsIn));
                    break;
            }
        }
    }

    private void ReadLoop()
    {
        var buffer = new byte[ReadBufferBytes];
        var events = new List<FanotifyEvent>();
        var fences = new List<(TaskCompletionSource Fence, int Remaining)>();
        var seen = new HashSet<MountedObject>();
        try
        {
            while (true)
            {
                if (fences.Count == 0 && _fenceRequests.IsEmpty && !_stopping)
                {
                    _group.Wait();
                }

                _group.ClearWake();
                if (_stopping)
                {
                    break;
                }

                // A fence passes once as many bytes as were queued at its request have been read (the queue is
                // first-in first-out; merged events only ever join an earlier one), or the queue ran dry.
                while (_fenceRequests.TryDequeue(out var request))
                {
                    fences.Add((request, _group.QueuedBytes()));
                }

                var read = _group.Read(buffer);
                if (read > 0)
                {
                    events.Clear();
                    try
                    {
                        FanotifyEventParser.Parse(buffer.AsSpan(0, read), _group.PidFds, events);
                    }
                    catch (InvalidDataException e)
                    {
                        _log.Error("Witness: unreadable fanotify events, counted as lost: {Error}", e.Message);
                        _signals.Writer.TryWrite(new WitnessSignal.Lost());
                    }

                    foreach (var item in events)
                    {
                        Resolve(item, seen);
                    }
                }

                for (var i = fences.Count - 1; i >= 0; i--)
                {
                    var (fence, remaining) = fences[i];
                    remaining -= read;
                    if (read == 0 || remaining <= 0)
                    {
                        Post(new WitnessSignal.Fence(fence));
                        fences.RemoveAt(i);
                    }
                    else
                    {
                        fences[i] = (fence, remaining);
                    }
                }
            }
        }
        catch (Exception e)
        {
            // A bug or a broken descriptor: what the witness says from now on cannot be vouched for.
            _failed = e.Message;
            _log.Error(e, "The witness stopped reading events; runs watched now end as if events were lost, later runs are not watched");
            _signals.Writer.TryWrite(new WitnessSignal.Lost());
        }
        finally
        {
            foreach (var (fence, _) in fences)
            {
                Post(new WitnessSignal.Fence(fence));
            }

            while (_fenceRequests.TryDequeue(out var request))
            {
                Post(new WitnessSignal.Fence(request));
            }

            _readerEnded.TrySetResult();
        }
    }

    /// <summary>Turns one event into a <see cref="WitnessedOpen"/> (or drops a repeat), closing its descriptors.</summary>
    private void Resolve(FanotifyEvent item, HashSet<MountedObject> seen)
    {
        try
        {
            if (item.IsOverflow)
            {
                _log.Warning("Witness: the kernel's event queue overflowed; the runs watched now end trace_incomplete (events lost)");
                _signals.Writer.TryWrite(new WitnessSignal.Lost());
                return;
            }

            if (item.Fd < 0 || MountedObject.OfDescriptor(item.Fd) is not { } opened || seen.Contains(opened))
            {
                return;
            }

            var opener = OpenerLookup.Find(item.Pid, item.PidFd);
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

            _signals.Writer.TryWrite(new WitnessSignal.Opened(new WitnessedOpen(opened.MountId, path, opener)));
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
