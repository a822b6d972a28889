using System.Text.Json.Serialization;

namespace DataExchangeTasker.Docker;

/// <summary>What API version negotiation needs of <c>GET /version</c>.</summary>
internal sealed class EngineVersionSummary
{
    [JsonPropertyName("ApiVersion")]
    public string? ApiVersion { get; init; }
}
