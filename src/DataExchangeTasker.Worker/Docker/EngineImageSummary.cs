using System.Text.Json.Serialization;

namespace DataExchangeTasker.Docker;

/// <summary>What the health check reads of <c>GET /images/{name}/json</c>: the image's labels.</summary>
internal sealed class EngineImageSummary
{
    [JsonPropertyName("Config")]
    public ImageConfig? Config { get; init; }

    /// <summary>The image's <c>Config</c>: only its labels.</summary>
    internal sealed class ImageConfig
    {
        [JsonPropertyName("Labels")]
        public Dictionary<string, string>? Labels { get; init; }
    }
}
