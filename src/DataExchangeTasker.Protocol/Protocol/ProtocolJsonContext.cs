using System.Text.Json.Serialization;

namespace DataExchangeTasker.Protocol;

/// <summary>
/// Source-generated serialization of the wire messages: camelCase, nulls written out so every done
/// message has the same shape, unknown fields of a start message ignored.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(StartMessage))]
[JsonSerializable(typeof(DoneMessage))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;
