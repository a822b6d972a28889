using System.Text.Json.Serialization;

namespace DataExchangeTasker.Protocol;

/// <summary>Source-generated JSON for the v0.2 messages: camelCase, a field another state uses left out.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(V02Message))]
internal sealed partial class V02JsonContext : JsonSerializerContext;
