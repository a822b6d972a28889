using System.Text.Json.Serialization;

namespace DataExchangeTasker.Protocol;

/// <summary>
/// Source-generated JSON for the signed parts of a done message (receipt, trace summary, witness summary):
/// camelCase, members in declaration order, nulls written, no white space, the default (ASCII-only) escaping, and
/// unknown members refused when reading, so a field added to a signed object is an error rather than silently dropped.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    WriteIndented = false)]
[JsonSerializable(typeof(RunReceipt))]
[JsonSerializable(typeof(TraceSummary))]
[JsonSerializable(typeof(WitnessSummary))]
internal sealed partial class ReceiptJsonContext : JsonSerializerContext;
