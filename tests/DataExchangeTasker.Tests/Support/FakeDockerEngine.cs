using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using DataExchangeTasker.Docker;
using Docker.DotNet.Models;

namespace DataExchangeTasker.Tests.Support;

/// <summary>
/// A scriptable in-memory Docker engine: containers live in a dictionary, every call is recorded in
/// <see cref="Calls"/>, and any operation can be made to throw the next N times.
/// A started container "runs" synchronously: <see cref="OnStart"/> may write its output files, then it exits
/// with <see cref="ExitCode"/> unless <see cref="ExitOnStart"/> is false (then only a kill ends it).
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

    /// <summary>Exit status of a started container.</summary>
    public long ExitCode { get; set; }

    /// <summary>Whether a container exits as soon as it is started.</summary>
    public bool ExitOnStart { get; set; } = true;

    /// <summary>Whether an exiting container is reported as OOM-killed.</summary>
    public bool OomKilled { get; set; }

    /// <summary>Peak memory reported by the stats stream.</summary>
    public long? PeakMemory { get; set; } = 24_379_392;

    /// <summary>Runs when a container starts, with its work folder (the source of the /tmp/out mount).</summary>
    public Action<string>? OnStart { get; set; }

    /// <summary>Runs before a create is carried out; may add containers or throw.</summary>
    public Action<string?, CreateContainerParameters>? BeforeCreate { get; set; }

    /// <summary>Is the image present?</summary>
    public bool HasImage { get; set; } = true;

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

    public Task<ImageInspectResponse?> InspectImageAsync(string image, CancellationToken cancellationToken)
    {
        Enter("image", image);
        return Task.FromResult(HasImage ? new ImageInspectResponse { ID = "sha256:feed", RepoTags = [image] } : null);
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

        var workFolder = container.Request?.HostConfig?.Mounts?.FirstOrDefault(m => m.Target == "/tmp/out")?.Source;
        if (workFolder is not null)
        {
            OnStart?.Invoke(workFolder);
        }

        if (ExitOnStart)
        {
            Exit(container, ExitCode, OomKilled);
        }

        return Task.CompletedTask;
    }

    public Task<ContainerWaitResponse> WaitForExitAsync(string id, CancellationToken cancellationToken)
    {
        Enter("wait", id);
        var container = Find(id) ?? throw new DockerApiException("POST /containers/{id}/wait", HttpStatusCode.NotFound, "No such container: " + id);
        lock (_gate)
        {
            // As the engine's default condition (not-running): a container not running is answered at once.
            if (container.Status != "running")
            {
                return Task.FromResult(new ContainerWaitResponse { StatusCode = container.ExitCode });
            }
        }

        return container.Exited.Task.WaitAsync(cancellationToken);
    }

    public Task<ContainerInspectResponse?> InspectContainerAsync(string id, CancellationToken cancellationToken)
    {
        Enter("inspect", id);
        var c = Find(id);
        if (c is null)
        {
            return Task.FromResult<ContainerInspectResponse?>(null);
        }

        lock (_gate)
        {
            var state = new State
            {
                Status = c.Status,
                Running = c.Status == "running",
                OOMKilled = c.OomKilled,
                ExitCode = c.ExitCode,
                StartedAt = Format(c.StartedAt),
                FinishedAt = Format(c.FinishedAt),
            };
            var config = new ContainerConfig { Image = "img", Labels = c.Labels.ToDictionary() };
            return Task.FromResult<ContainerInspectResponse?>(new ContainerInspectResponse { ID = c.Id, Name = "/" + c.Name, State = state, Config = config });
        }
    }

    public Task KillContainerAsync(string id, string signal, CancellationToken cancellationToken)
    {
        Enter("kill", id);
        if (Find(id) is { Status: "running" } c && signal == "SIGKILL")
        {
            Exit(c, 137, oom: false);
        }

        return Task.CompletedTask;
    }

    public Task RemoveContainerAsync(string id, CancellationToken cancellationToken)
    {
        Enter("remove", id);
        lock (_gate)
        {
            if (Find(id) is { } c)
            {
                _containers.Remove(c.Name);
            }
        }

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

    public Task<long?> TrackPeakMemoryAsync(string id, CancellationToken cancellationToken)
    {
        Enter("stats", id);
        return Task.FromResult(PeakMemory);
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

        container.Exited.TrySetResult(new ContainerWaitResponse { StatusCode = exitCode });
    }

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

    public long ExitCode { get; set; }

    public bool OomKilled { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public IReadOnlyDictionary<string, string> Labels { get; set; } = new Dictionary<string, string>();

    public CreateContainerParameters? Request { get; set; }

    /// <summary>Completed when the container exits.</summary>
    public TaskCompletionSource<ContainerWaitResponse> Exited { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
