namespace DataExchangeTasker.Docker.Models;

/// <summary>Body of <c>POST /containers/create</c>: the subset of the Engine API the tasker sets.</summary>
public sealed record ContainerCreateRequest
{
    public required string Image { get; init; }
    public IReadOnlyList<string>? Cmd { get; init; }
    public IReadOnlyList<string>? Entrypoint { get; init; }
    public IReadOnlyList<string>? Env { get; init; }
    public string? User { get; init; }
    public string? WorkingDir { get; init; }
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
    public bool NetworkDisabled { get; init; }

    /// <summary>Seconds the engine waits after SIGTERM before SIGKILL; lives here, not in HostConfig.</summary>
    public int? StopTimeout { get; init; }

    public bool Tty { get; init; }
    public bool AttachStdout { get; init; }
    public bool AttachStderr { get; init; }
    public required HostConfig HostConfig { get; init; }
}

/// <summary>Resource limits and isolation of a container.</summary>
public sealed record HostConfig
{
    public IReadOnlyList<Mount>? Mounts { get; init; }
    public string? NetworkMode { get; init; }
    public bool ReadonlyRootfs { get; init; }
    public IReadOnlyDictionary<string, string>? Tmpfs { get; init; }
    public IReadOnlyList<string>? CapDrop { get; init; }
    public IReadOnlyList<string>? SecurityOpt { get; init; }
    public long? Memory { get; init; }
    public long? MemorySwap { get; init; }
    public long? NanoCpus { get; init; }
    public long? PidsLimit { get; init; }
    public IReadOnlyList<Ulimit>? Ulimits { get; init; }
    public string? Runtime { get; init; }
    public bool Privileged { get; init; }
    public bool AutoRemove { get; init; }
    public string? IpcMode { get; init; }
    public LogConfig? LogConfig { get; init; }
}

/// <summary>A bind mount; unlike a <c>Binds</c> string it handles colons and spaces in paths.</summary>
public sealed record Mount(string Type, string Source, string Target, bool ReadOnly)
{
    public BindOptions? BindOptions { get; init; }
}

/// <summary>Bind-specific options.</summary>
public sealed record BindOptions(string Propagation);

/// <summary>A resource limit such as <c>fsize</c> or <c>nofile</c>.</summary>
public sealed record Ulimit(string Name, long Soft, long Hard);

/// <summary>The engine's log driver for the container.</summary>
public sealed record LogConfig(string Type, IReadOnlyDictionary<string, string>? Config);
