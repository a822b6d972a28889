using System.Text.Json.Serialization;

namespace DataExchangeTasker.Governance.Audit;

/// <summary>
/// Source-generated JSON for audit lines: camelCase, members in declaration order, nulls written,
/// no white space, the default (ASCII-only) escaping, and unknown members refused when reading, so a field
/// added to a signed object is an error rather than silently dropped.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    WriteIndented = false)]
[JsonSerializable(typeof(AuditEntry))]
internal sealed partial class AuditJsonContext : JsonSerializerContext;
