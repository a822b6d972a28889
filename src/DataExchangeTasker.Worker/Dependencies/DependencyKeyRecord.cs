using System.Text.Json.Serialization;

namespace DataExchangeTasker.Dependencies;

/// <summary>What an installed entry was made from (its <c>key.json</c>, for the operator).</summary>
internal sealed record DependencyKeyRecord(string Key, string RequirementsSha256, string ImageId, string Source, DateTimeOffset InstalledAt);

/// <summary>Source-generated JSON for the dependency cache's files.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(DependencyKeyRecord))]
internal sealed partial class DependencyJsonContext : JsonSerializerContext;
