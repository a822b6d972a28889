using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Docker.DotNet.Models;

namespace DataExchangeTasker.Sandbox.Spec;

/// <summary>
/// SHA-256 of a container's specification for the run receipt: the create request as this tasker serializes it
/// (the Engine API client serializes the same object; its bytes on the wire are not exposed), or, for a container
/// an earlier process created, the configuration the engine reports.
/// </summary>
internal static class ContainerSpecDigest
{
    /// <summary>Digest of the create request.</summary>
    public static string Of(CreateContainerParameters request) => Hash(request);

    /// <summary>Digest of the engine's view of an existing container (its config and host config).</summary>
    public static string Of(ContainerInspectResponse container)
    {
        ArgumentNullException.ThrowIfNull(container);
        return Hash(new EngineView(container.Config, container.HostConfig));
    }

    private static string Hash<T>(T value) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(value, (JsonTypeInfo<T>)ContainerSpecJson.Options.GetTypeInfo(typeof(T)))));

    /// <summary>What is hashed of an existing container: <c>{"Config":…,"HostConfig":…}</c>.</summary>
    internal sealed record EngineView(ContainerConfig? Config, HostConfig? HostConfig);
}
