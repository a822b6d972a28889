using System.Text.Json.Serialization;
using Docker.DotNet.Models;

namespace DataExchangeTasker.Docker;

/// <summary>One entry of <c>GET /containers/json</c> as the tasker reads it: no ports, sizes, health or network settings.</summary>
internal sealed class EngineContainerSummary
{
    [JsonPropertyName("Id")]
    public string Id { get; init; } = "";

    [JsonPropertyName("Names")]
    public List<string>? Names { get; init; }

    [JsonPropertyName("Image")]
    public string? Image { get; init; }

    [JsonPropertyName("ImageID")]
    public string? ImageId { get; init; }

    [JsonPropertyName("Command")]
    public string? Command { get; init; }

    /// <summary>Unix seconds.</summary>
    [JsonPropertyName("Created")]
    public long Created { get; init; }

    [JsonPropertyName("Labels")]
    public Dictionary<string, string>? Labels { get; init; }

    [JsonPropertyName("State")]
    public string? State { get; init; }

    [JsonPropertyName("Status")]
    public string? Status { get; init; }

    [JsonPropertyName("Mounts")]
    public List<MountPoint>? Mounts { get; init; }
}
