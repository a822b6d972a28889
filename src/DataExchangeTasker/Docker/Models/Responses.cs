using System.Text.Json.Serialization;

namespace DataExchangeTasker.Docker.Models;

/// <summary>Answer of <c>POST /containers/create</c>.</summary>
public sealed record ContainerCreateResponse(string Id, IReadOnlyList<string>? Warnings);

/// <summary>Body of <c>POST /containers/{id}/wait</c>, sent when the container exits.</summary>
public sealed record ContainerWaitResponse(long StatusCode, WaitError? Error);

/// <summary>An error the engine met while waiting.</summary>
public sealed record WaitError(string? Message);

/// <summary>Error body of any failed call.</summary>
public sealed record ErrorResponse(string? Message);

/// <summary>The parts of <c>GET /containers/{id}/json</c> the tasker reads.</summary>
public sealed record ContainerInspectResponse(
    string Id,
    string? Name,
    ContainerState State,
    ContainerConfigSummary? Config);

/// <summary>Run state of a container.</summary>
public sealed record ContainerState(
    string? Status,
    bool Running,
    bool OOMKilled,
    long ExitCode,
    string? Error,
    string? StartedAt,
    string? FinishedAt);

/// <summary>The labels and image of an inspected container.</summary>
public sealed record ContainerConfigSummary(string? Image, IReadOnlyDictionary<string, string>? Labels);

/// <summary>One row of <c>GET /containers/json</c>.</summary>
public sealed record ContainerSummary(
    string Id,
    IReadOnlyList<string>? Names,
    string? Image,
    string? State,
    long Created,
    IReadOnlyDictionary<string, string>? Labels);

/// <summary>The parts of <c>GET /images/{name}/json</c> the tasker reads.</summary>
public sealed record ImageInspectResponse(string Id, IReadOnlyList<string>? RepoTags, string? Created);

/// <summary>Answer of <c>GET /version</c>.</summary>
public sealed record VersionResponse(string? Version, string? ApiVersion, string? MinAPIVersion, string? Os, string? KernelVersion);

/// <summary>One sample of <c>GET /containers/{id}/stats</c>; only memory is read.</summary>
public sealed record StatsSample([property: JsonPropertyName("memory_stats")] MemoryStats? MemoryStats);

/// <summary>Memory figures; <c>max_usage</c> exists on cgroup v1 only.</summary>
public sealed record MemoryStats(
    [property: JsonPropertyName("usage")] long? Usage,
    [property: JsonPropertyName("max_usage")] long? MaxUsage);
