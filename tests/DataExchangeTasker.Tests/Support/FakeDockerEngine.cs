using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using DataExchangeTasker.Docker;
using DataExchangeTasker.Sandbox.Run;
using Docker.DotNet.Models;

namespace DataExchangeTasker.Tests.Support;

/// <summary>
/// A scriptable in-memory Docker engine: containers live in a dictionary, every call is recorded in
/// <see cref="Calls"/>, and any operation can be made to throw the next N times.
/// A started container "runs" like the runner's supervisor: <see cref="OnStart"/> may fill its <c>/run/tasker</c> and
/// <c>/tmp/out</c>, then its code ends with <see cref="ExitCode"/> (manifest written, "results ready" and the results
/// block written to its stdout, which attached clients read) unless <see cref="ExitOnStart"/> is false (then only the
/// timeout signal, SIGUSR1, ends the code). The container itself keeps running until it is killed or removed, or
/// the release line arrives on its stdin; execs of <c>tar</c> return its folders as tar streams, and of <c>test -f
/// /run/tasker/manifest</c> whether the code ended.
/// </summary>
public sealed class FakeDockerEngine : IDockerEngine
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Queue<Exception>> _failures = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FakeContainer> _containers = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _calls = new();
    private int _nextId;

    /// <summary>Operation names recorded, e.g. <c>create tasker-…</c>, <c>start id</c>.</summary>
    public IReadOnlyList<string> Calls => [.. _calls];

    /// <summary>Create requests received, in order.</summary>
    public List<CreateContainerParameters> CreateRequests { get; } = [];

    private readonly Dictionary<string, (FakeContainer Container, ContainerExecCreateParameters Request)> _execs = new(StringComparer.Ordinal);

    /// <summary>Exit status of the code in a started container.</summary>
    public long ExitCode { get; set; }

    /// <summary>Whether the code ends as soon as its container is started.</summary>
    public bool ExitOnStart { get; set; } = true;

    /// <summary>Whether the memory cgroup killed a process (manifest <c>oom_killed=1</c>).</summary>
    public bool OomKilled { get; set; }

    /// <summary>Peak memory reported by the supervisor's manifest (and by the stats stream, which only gVisor runs use).</summary>
    public long? PeakMemory { get; set; } = 24_379_392;

    /// <summary>Runs when a container starts, before its code ends; may fill <see cref="FakeContainer.RunTasker"/> and <see cref="FakeContainer.Out"/>.</summary>
    public Action<FakeContainer>? OnStart { get; set; }

    /// <summary>Runs before a create is carried out; may add containers or throw.</summary>
    public Action<string?, CreateContainerParameters>? BeforeCreate { get; set; }

    /// <summary>Is the image present?</summary>
    public bool HasImage { get; set; } = true;

    /// <summary>
    /// How many inspects after a SIGKILL still show the container running, as an engine does until it has processed the
    /// exit (its OOM flag, from <see cref="OomKilled"/>, comes with it). 0: the kill lands at once.
    /// </summary>
    public int InspectsBeforeTheExitShows { get; set; }

    /// <summary>Makes <paramref name="operation"/> (create, start, wait, inspect, kill, remove, list, ping, image, version, stats) throw the next <paramref name="times"/> calls.</summary>
    public void FailNext(string operation, int times, Func<Exception> error)
    {
        lock (_gate)
        {
            if (!_failures.TryGetValue(operation, out var queue))
            {
                _failures[operation] = queue = new Queue<Exception>();
            }

            for (var i = 0; i < times; i++)
            {
                queue.Enqueue(error());
            }
        }
    }

    /// <summary>An error as if the engine could not be reached (transient).</summary>
    public static DockerApiException Unreachable(string operation = "POST /containers/create") =>
        new(operation, null, "connection refused");

    /// <summary>An error the engine answered with <paramref name="status"/>.</summary>
    public static DockerApiException Answered(HttpStatusCode status, string message, string operation = "POST /containers/create") =>
        new(operation, status, message);

    /// <summary>Adds a container as an earlier delivery (or another process) would have left it.</summary>
    public FakeContainer AddContainer(string name, string status, long exitCode = 0, IReadOnlyDictionary<string, string>? labels = null)
    {
        lock (_gate)
        {
            var container = new FakeContainer(NewId(), name)
            {
                Status = status,
                ExitCode = exitCode,
                Labels = labels ?? new Dictionary<string, string>(),
                StartedAt = status == "created" ? null : DateTimeOffset.UtcNow.AddSeconds(-2),
                FinishedAt = status == "exited" ? DateTimeOffset.UtcNow.AddSeconds(-1) : null,
            };
            _containers[name] = container;
            return container;
        }
    }

    /// <summary>The container named (or with id) <paramref name="nameOrId"/>, if it exists.</summary>
    public FakeContainer? Find(string nameOrId)
    {
        lock (_gate)
        {
            return _containers.TryGetValue(nameOrId, out var c) ? c : _containers.Values.FirstOrDefault(x => x.Id == nameOrId);
        }
    }

    public Task<string> PingAsync(CancellationToken cancellationToken)
    {
        Enter("ping", "");
        return Task.FromResult("1.47");
    }

    public Task<VersionResponse> GetVersionAsync(CancellationToken cancellationToken)
    {
        Enter("version", "");
        return Task.FromResult(new VersionResponse { Version = "27.0.0", APIVersion = "1.47", MinAPIVersion = "1.24", Os = "linux", KernelVersion = "6.1" });
    }

    public Task<bool> ImageExistsAsync(string image, CancellationToken cancellationToken)
    {
        Enter("image", image);
        return Task.FromResult(HasImage);
    }

    /// <summary>The labels of the runner image (when <see cref="HasImage"/>): by default those of an image of this tasker's version.</summary>
    public Dictionary<string, string> ImageLabels { get; } = new(StringComparer.Ordinal) { [DataExchangeTasker.Images.ImageLabels.Supervisor] = DataExchangeTasker.Images.ImageLabels.SupervisorVersion };

    public Task<IReadOnlyDictionary<string, string>?> ImageLabelsAsync(string image, CancellationToken cancellationToken)
    {
        Enter("image", image);
        return Task.FromResult<IReadOnlyDictionary<string, string>?>(HasImage ? new Dictionary<string, string>(ImageLabels, StringComparer.Ordinal) : null);
    }

    public Task<ImageInspectResponse?> InspectImageAsync(string image, CancellationToken cancellationToken)
    {
        Enter("image", image);
        return Task.FromResult(HasImage ? new ImageInspectResponse { ID = "sha256:feed", RepoTags = [image] } : null);
    }

    /// <summary>Networks <see cref="InspectNetworkAsync"/> knows, by name.</summary>
    public Dictionary<string, NetworkResponse> Networks { get; } = new(StringComparer.Ordinal);

    public Task<NetworkResponse?> InspectNetworkAsync(string network, CancellationToken cancellationToken)
    {
        Enter("network", network);
        return Task.FromResult(Networks.GetValueOrDefault(network));
    }

    public Task<string> CreateContainerAsync(string? name, CreateContainerParameters request, CancellationToken cancellationToken)
    {
        Enter("create", name ?? "");
        BeforeCreate?.Invoke(name, request);
        lock (_gate)
        {
            CreateRequests.Add(request);
            var key = name ?? NewId();
            if (_containers.ContainsKey(key))
            {
                throw new DockerApiException("POST /containers/create", HttpStatusCode.Conflict, $"Conflict. The container name \"/{key}\" is already in use");
            }

            var container = new FakeContainer(NewId(), key) { Status = "created", Labels = request.Labels?.ToDictionary() ?? new Dictionary<string, string>(), Request = request };
            _containers[key] = container;
            return Task.FromResult(container.Id);
        }
    }

    public Task StartContainerAsync(string id, CancellationToken cancellationToken)
    {
        Enter("start", id);
        var container = Find(id) ?? throw new DockerApiException("POST /containers/{id}/start", HttpStatusCode.NotFound, "No such container: " + id);
        lock (_gate)
        {
            container.Status = "running";
            container.StartedAt = DateTimeOffset.UtcNow;
        }

        OnStart?.Invoke(container);
        if (ExitOnStart)
        {
            container.EndCode(ExitCode, timedOut: false, OomKilled, PeakMemory);
        }

        return Task.CompletedTask;
    }

    public Task<ContainerInspectResponse?> InspectContainerAsync(string id, CancellationToken cancellationToken)
    {
        Enter("inspect", id);
        var c = Find(id);
        if (c is null)
        {
            return Task.FromResult<ContainerInspectResponse?>(null);
        }

        bool killLanded;
        lock (_gate)
        {
            killLanded = c.InspectsUntilExit > 0 && --c.InspectsUntilExit == 0;
        }

        if (killLanded)
        {
            Exit(c, 137, OomKilled);
        }

        lock (_gate)
        {
            var state = new State
            {
                Status = c.Status,
                Running = c.Status == "running",
                // As the engine does: 0 for a container that does not run.
                Pid = c.Status == "running" ? c.Pid : 0,
                OOMKilled = c.OomKilled,
                ExitCode = c.ExitCode,
                StartedAt = Format(c.StartedAt),
                FinishedAt = Format(c.FinishedAt),
            };
            var config = new ContainerConfig { Image = "img", Labels = c.Labels.ToDictionary() };
            var host = new HostConfig { Memory = c.Request?.HostConfig?.Memory ?? 0 };
            return Task.FromResult<ContainerInspectResponse?>(new ContainerInspectResponse { ID = c.Id, Name = "/" + c.Name, State = state, Config = config, HostConfig = host });
        }
    }

    public Task KillContainerAsync(string id, string signal, CancellationToken cancellationToken)
    {
        Enter("kill", id);
        if (Find(id) is { Status: "running" } c)
        {
            if (signal == "SIGKILL" && InspectsBeforeTheExitShows > 0)
            {
                lock (_gate)
                {
                    c.InspectsUntilExit = InspectsBeforeTheExitShows + 1;
                }
            }
            else if (signal == "SIGKILL")
            {
                Exit(c, 137, oom: false);
            }
            else if (signal == "SIGUSR1" && !c.CodeEnded)
            {
                c.EndCode(137, timedOut: true, oom: false, PeakMemory);
            }
        }

        return Task.CompletedTask;
    }

    public Task RemoveContainerAsync(string id, CancellationToken cancellationToken)
    {
        Enter("remove", id);
        FakeContainer? removed;
        lock (_gate)
        {
            removed = Find(id);
            if (removed is not null)
            {
                _containers.Remove(removed.Name);
            }
        }

        removed?.CloseLog();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ContainerListResponse>> ListContainersAsync(IReadOnlyDictionary<string, string?> labels, CancellationToken cancellationToken)
    {
        Enter("list", "");
        lock (_gate)
        {
            IReadOnlyList<ContainerListResponse> result = _containers.Values
                .Where(c => labels.All(l => c.Labels.TryGetValue(l.Key, out var v) && (l.Value is null || l.Value == v)))
                .Select(c => new ContainerListResponse { ID = c.Id, Names = ["/" + c.Name], Image = "img", State = c.Status, Labels = c.Labels.ToDictionary() })
                .ToList();
            return Task.FromResult(result);
        }
    }

    public Task<IContainerAttachment> AttachAsync(string id, CancellationToken cancellationToken)
    {
        Enter("attach", id);
        var container = Find(id) ?? throw new DockerApiException("POST /containers/{id}/attach", HttpStatusCode.NotFound, "No such container: " + id);
        return Task.FromResult<IContainerAttachment>(new FakeAttachment(container.Attach(), bytes =>
        {
            if (System.Text.Encoding.UTF8.GetString(bytes).Split('\n').Contains(SupervisorChannel.ReleaseLine))
            {
                container.Released = true;
                if (container.Status == "running")
                {
                    Exit(container, container.CodeStatus, oom: false);
                }
            }
        }));
    }

    public Task<long?> TrackPeakMemoryAsync(string id, CancellationToken cancellationToken)
    {
        Enter("stats", id);
        return Task.FromResult(PeakMemory);
    }

    public Task<string> CreateExecAsync(string containerId, ContainerExecCreateParameters request, CancellationToken cancellationToken)
    {
        Enter("exec", containerId);
        var container = Find(containerId) ?? throw new DockerApiException("POST /containers/{id}/exec", HttpStatusCode.NotFound, "No such container: " + containerId);
        lock (_gate)
        {
            if (container.Status != "running")
            {
                throw new DockerApiException("POST /containers/{id}/exec", HttpStatusCode.Conflict, $"Container {containerId} is not running");
            }

            var execId = "exec-" + NewId();
            _execs[execId] = (container, request);
            return Task.FromResult(execId);
        }
    }

    public async Task<ExecResult> RunExecAsync(string execId, Func<Stream, CancellationToken, Task> readStdout, TimeSpan deadline, CancellationToken cancellationToken)
    {
        Enter("exec-start", execId);
        (FakeContainer Container, ContainerExecCreateParameters Request) exec;
        lock (_gate)
        {
            exec = _execs[execId];
        }

        var cmd = exec.Request.Cmd!;
        if (cmd[0] == "test")
        {
            // test -f /run/tasker/manifest: the supervisor has reported.
            await readStdout(new MemoryStream(), cancellationToken);
            return new ExecResult(exec.Container.CodeEnded ? 0 : 1, "");
        }

        // Otherwise only what the tasker runs: tar -cf - -C <folder> <entries...>
        var folder = cmd[cmd.IndexOf("-C") + 1];
        using var archive = new MemoryStream(TarOfFolder(exec.Container, folder));
        archive.Position = 0;
        await readStdout(archive, cancellationToken).WaitAsync(deadline, cancellationToken);
        return new ExecResult(0, "");
    }

    public async IAsyncEnumerable<string> FollowLogLinesAsync(string id, long maxBytes, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Enter("logs", id);
        var container = Find(id) ?? throw new DockerApiException("GET /containers/{id}/logs", HttpStatusCode.NotFound, "No such container: " + id);
        var next = 0;
        while (true)
        {
            var (lines, changed, closed) = container.LogSnapshot();
            for (; next < lines.Count; next++)
            {
                yield return lines[next];
            }

            if (closed)
            {
                yield break;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    private void Exit(FakeContainer container, long exitCode, bool oom)
    {
        lock (_gate)
        {
            container.Status = "exited";
            container.ExitCode = exitCode;
            container.OomKilled = oom;
            container.FinishedAt = DateTimeOffset.UtcNow;
        }

        container.CloseLog();
    }

    /// <summary>The fake's own view of a tar exec: what <see cref="RunExecAsync"/> streams for a folder.</summary>
    internal static byte[] TarOfFolder(FakeContainer container, string folder) =>
        folder == "/run/tasker" ? SupervisorBlock.TarOf(container.RunTasker, asFolder: false) : SupervisorBlock.TarOf(container.Out);

    private void Enter(string operation, string argument)
    {
        _calls.Enqueue(argument.Length == 0 ? operation : operation + " " + argument);
        lock (_gate)
        {
            if (_failures.TryGetValue(operation, out var queue) && queue.TryDequeue(out var error))
            {
                throw error;
            }
        }
    }

    private string NewId() => (++_nextId).ToString("x64", CultureInfo.InvariantCulture);

    private static string Format(DateTimeOffset? time) => time?.ToString("O", CultureInfo.InvariantCulture) ?? "0001-01-01T00:00:00Z";
}

/// <summary>One container of <see cref="FakeDockerEngine"/>.</summary>
public sealed class FakeContainer(string id, string name)
{
    public string Id { get; } = id;

    public string Name { get; } = name;

    public string Status { get; set; } = "created";

    /// <summary>The host pid of its main process while it runs (what inspect reports then).</summary>
    public long Pid { get; set; } = 4242;

    public long ExitCode { get; set; }

    public bool OomKilled { get; set; }

    /// <summary>Inspects left before a SIGKILL that has not landed yet shows as the exit (see <see cref="FakeDockerEngine.InspectsBeforeTheExitShows"/>).</summary>
    public int InspectsUntilExit { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public IReadOnlyDictionary<string, string> Labels { get; set; } = new Dictionary<string, string>();

    public CreateContainerParameters? Request { get; set; }

    private readonly Lock _log = new();
    private readonly List<string> _lines = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _closed;

    /// <summary>The supervisor's folder: manifest, stdout.txt, stderr.txt, strace.txt.</summary>
    public Dictionary<string, byte[]> RunTasker { get; } = new(StringComparer.Ordinal);

    /// <summary>The code's /tmp/out: relative name to content.</summary>
    public Dictionary<string, byte[]> Out { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether the code ended (the supervisor logged "results ready").</summary>
    public bool CodeEnded { get; private set; }

    /// <summary>The code's exit status once it ended (the supervisor's own on release).</summary>
    public long CodeStatus { get; private set; }

    /// <summary>Whether the tasker wrote the release line to the supervisor's stdin.</summary>
    public bool Released { get; set; }

    private readonly List<FakeStdoutStream> _attached = [];

    /// <summary>A new attach: the container's stdout from now on.</summary>
    public FakeStdoutStream Attach()
    {
        var stdout = new FakeStdoutStream();
        lock (_log)
        {
            if (_closed)
            {
                stdout.Complete();
            }
            else
            {
                _attached.Add(stdout);
            }
        }

        return stdout;
    }

    /// <summary>Writes raw bytes to the container's stdout (every attached client gets them; the log does not).</summary>
    public void WriteStdout(byte[] bytes)
    {
        lock (_log)
        {
            foreach (var stdout in _attached)
            {
                stdout.Append(bytes);
            }
        }
    }

    /// <summary>Sets a stream of the supervisor's folder.</summary>
    public void SetStream(string name, string text) => RunTasker[name] = System.Text.Encoding.UTF8.GetBytes(text);

    /// <summary>
    /// What the supervisor does when the code ends: writes a manifest (unless one was planted), logs "results ready" and
    /// writes the results block to its stdout.
    /// </summary>
    public void EndCode(long status, bool timedOut, bool oom, long? peakMemory = null)
    {
        CodeEnded = true;
        CodeStatus = status;
        if (!RunTasker.ContainsKey("manifest"))
        {
            SetStream("manifest", $"version=1\nstatus={status}\ntrace_complete=1\ntimed_out={(timedOut ? 1 : 0)}\npath_changed=0\nsurvivors=0\noom_killed={(oom ? 1 : 0)}\noutputs={(Out.Count > 0 ? 1 : 0)}\npeak_memory={peakMemory?.ToString(CultureInfo.InvariantCulture)}\n");
        }

        var block = SupervisorBlock.Of(RunTasker, Out.Count > 0 ? SupervisorBlock.TarOf(Out) : []);
        lock (_log)
        {
            _lines.Add(SupervisorChannel.ReadyLine);
            _changed.TrySetResult();
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        WriteStdout(block);
    }

    /// <summary>Appends a line to the container's log (and writes it to its stdout).</summary>
    public void AppendLog(string line)
    {
        lock (_log)
        {
            foreach (var stdout in _attached)
            {
                stdout.Append(System.Text.Encoding.UTF8.GetBytes(line + "\n"));
            }

            _lines.Add(line);
            _changed.TrySetResult();
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Ends the log and stdout (the container exited or was removed).</summary>
    public void CloseLog()
    {
        lock (_log)
        {
            foreach (var stdout in _attached)
            {
                stdout.Complete();
            }

            _attached.Clear();
            _closed = true;
            _changed.TrySetResult();
        }
    }

    internal (IReadOnlyList<string> Lines, Task Changed, bool Closed) LogSnapshot()
    {
        lock (_log)
        {
            return ([.. _lines], _changed.Task, _closed);
        }
    }
}
