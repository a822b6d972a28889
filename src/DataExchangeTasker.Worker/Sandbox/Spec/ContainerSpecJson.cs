using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Docker.DotNet.Models;

namespace DataExchangeTasker.Sandbox.Spec;

/// <summary>
/// The serializer options of <see cref="ContainerSpecDigest"/>: generated metadata (<see cref="ContainerSpecJsonContext"/>)
/// instead of reflection, which built and kept accessors for the whole Engine API model graph in every tasker that ran
/// a task.
/// </summary>
/// <remarks>
/// Three model properties name Docker.DotNet's internal converters in <c>[JsonConverter]</c> attributes, which
/// generated code cannot reach (SYSLIB1220): the same formats are put on them here (<see cref="EngineSecondsConverter"/>,
/// <see cref="EngineConsoleSizeConverter"/>), so the bytes hashed are those the reflection serializer produced.
/// </remarks>
internal static class ContainerSpecJson
{
    /// <summary>Nulls left out, Engine API formats for <c>StopTimeout</c> and <c>ConsoleSize</c>.</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = ContainerSpecJsonContext.Default.WithAddedModifier(UseEngineFormats),
    };

    private static void UseEngineFormats(JsonTypeInfo type)
    {
        foreach (var property in type.Properties)
        {
            property.CustomConverter = (type.Type.Name, property.Name) switch
            {
                (nameof(CreateContainerParameters) or nameof(ContainerConfig), nameof(ContainerConfig.StopTimeout)) => new EngineSecondsConverter(),
                (nameof(HostConfig), nameof(HostConfig.ConsoleSize)) => new EngineConsoleSizeConverter(),
                _ => property.CustomConverter,
            };
        }
    }
}
