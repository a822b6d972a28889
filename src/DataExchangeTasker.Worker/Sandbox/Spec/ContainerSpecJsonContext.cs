using System.Text.Json.Serialization;
using Docker.DotNet.Models;

namespace DataExchangeTasker.Sandbox.Spec;

/// <summary>
/// Source-generated metadata for <see cref="ContainerSpecDigest"/>: the create request and the engine's view of a
/// container, nulls left out. Used through <see cref="ContainerSpecJson.Options"/>, which adds the Engine API's wire
/// formats the generator cannot take from the models' attributes.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CreateContainerParameters))]
[JsonSerializable(typeof(ContainerSpecDigest.EngineView))]
internal sealed partial class ContainerSpecJsonContext : JsonSerializerContext;
