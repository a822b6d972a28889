using System.Text.Json.Serialization;

namespace DataExchangeTasker.Docker;

/// <summary>Source-generated JSON for <see cref="EngineStatusReads"/>: only the fields the tasker reads.</summary>
[JsonSerializable(typeof(EngineVersionSummary))]
[JsonSerializable(typeof(EngineImageSummary))]
[JsonSerializable(typeof(List<EngineContainerSummary>))]
internal sealed partial class EngineStatusJsonContext : JsonSerializerContext;
