using System.Text.Json.Serialization;

namespace DataExchangeTasker.Protocol;

/// <summary>The approved hash of the code, as computed by <c>tasker hash</c>.</summary>
/// <param name="ETag">Lower-case hex SHA-256 content hash; see <c>protocol/README.md</c> for its definition.</param>
public sealed record CodeHash([property: JsonPropertyName("eTag")] string? ETag);
