using System.Security.Cryptography;
using System.Text.Json;

namespace DataExchangeTasker.Protocol;

/// <summary>
/// The canonical bytes of a receipt, which are what gets signed. Canonicalisation: the receipt is deserialized
/// into <see cref="RunReceipt"/> (unknown members refused) and serialized with <see cref="ReceiptJsonContext"/>:
/// UTF-8, members in the record's declaration order, camelCase names, every member present (null written as
/// <c>null</c>), no white space, strings escaped by System.Text.Json's default encoder (so the bytes are ASCII:
/// non-ASCII and HTML-sensitive characters as <c>\uXXXX</c>), integers in decimal, <c>cpus</c> in the shortest
/// round-trip form, times as ISO 8601 with their offset. A verifier in another language can reproduce the bytes by
/// following these rules, or by using the tasker (<c>tasker receipt verify</c>).
/// </summary>
internal static class ReceiptJson
{
    /// <summary>The bytes a signature covers.</summary>
    public static byte[] CanonicalBytes(RunReceipt receipt) =>
        JsonSerializer.SerializeToUtf8Bytes(receipt, ReceiptJsonContext.Default.RunReceipt);

    /// <summary>The receipt in <paramref name="element"/> (e.g. a done message's <c>receipt</c>); throws <see cref="JsonException"/> when it is not one.</summary>
    public static RunReceipt Read(JsonElement element) =>
        element.Deserialize(ReceiptJsonContext.Default.RunReceipt) ?? throw new JsonException("receipt is null");

    /// <summary>SHA-256 (hex) of the canonical JSON of a trace summary, as recorded in <see cref="RunReceipt.TraceSummarySha256"/>.</summary>
    public static string Sha256Of(TraceSummary summary) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(summary, ReceiptJsonContext.Default.TraceSummary)));

    /// <summary>SHA-256 (hex) of the canonical JSON of a witness summary, as recorded in <see cref="ReceiptWitness.Sha256"/>.</summary>
    public static string Sha256Of(WitnessSummary witness) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(witness, ReceiptJsonContext.Default.WitnessSummary)));
}
