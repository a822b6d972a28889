using System.Text.Json.Serialization;

namespace DataExchangeTasker.Control;

/// <summary>Source-generated serialization of progress and v0.2 messages (camelCase; unset v0.2 fields left out).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProgressMessage))]
internal sealed partial class ControlJsonContext : JsonSerializerContext;
