using System.Security.Cryptography;
using System.Text.Json;
using Docker.DotNet.Models;

namespace DataExchangeTasker.Sandbox;

/// <summary>
/// SHA-256 of a container's specification for the run receipt: the create request as this tasker serializes it
/// (the Engine API client serializes the same object; its bytes on the wire are not exposed), or, for a container
/// an earlier process created, the configuration the engine reports.
/// </summary>
public static class ContainerSpecDigest
{
    private static readonly JsonSerializerOptions Options = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Digest of the create request.</summary>
    public static string Of(CreateContainerParameters request) => Hash(request);

    /// <summary>Digest of the engine's view of an existing container (its config and host config).</summary>
    public static string Of(ContainerInspectResponse container)
    {
        ArgumentNullException.ThrowIfNull(container);
        return Hash(new { container.Config, container.HostConfig });
    }

    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Engine API models are not trimmed.")]
    private static string Hash<T>(T value) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(value, Options)));
}
