using System.Text.Json.Serialization;
using DataExchangeTasker.Docker.Models;

namespace DataExchangeTasker.Docker;

/// <summary>Source-generated JSON for the Engine API, which uses PascalCase names (snake_case in stats).</summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(ContainerCreateRequest))]
[JsonSerializable(typeof(ContainerCreateResponse))]
[JsonSerializable(typeof(ContainerWaitResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(ContainerInspectResponse))]
[JsonSerializable(typeof(IReadOnlyList<ContainerSummary>))]
[JsonSerializable(typeof(ImageInspectResponse))]
[JsonSerializable(typeof(VersionResponse))]
[JsonSerializable(typeof(StatsSample))]
[JsonSerializable(typeof(Dictionary<string, Dictionary<string, bool>>))]
internal sealed partial class DockerJsonContext : JsonSerializerContext;
