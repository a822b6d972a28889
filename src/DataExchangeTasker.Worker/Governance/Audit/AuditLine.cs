using System.Security.Cryptography;
using System.Text.Json;

namespace DataExchangeTasker.Governance.Audit;

/// <summary>How an <see cref="AuditEntry"/> becomes bytes, and the hashes and signatures over them.</summary>
internal static class AuditLine
{
    /// <summary>The line's bytes, without the newline.</summary>
    public static byte[] Bytes(AuditEntry entry) => JsonSerializer.SerializeToUtf8Bytes(entry, AuditJsonContext.Default.AuditEntry);

    /// <summary>What <see cref="AuditEntry.Signature"/> covers: the entry's bytes with <c>signature</c> null.</summary>
    public static byte[] SignedBytes(AuditEntry entry) => Bytes(entry with { Signature = null });

    /// <summary>The next line's <see cref="AuditEntry.Prev"/>.</summary>
    public static string Hash(ReadOnlySpan<byte> lineWithoutNewline) => Convert.ToHexStringLower(SHA256.HashData(lineWithoutNewline));

    /// <summary>Reads a line; throws <see cref="JsonException"/> when it is not an audit entry.</summary>
    public static AuditEntry Parse(ReadOnlySpan<byte> lineWithoutNewline) =>
        JsonSerializer.Deserialize(lineWithoutNewline, AuditJsonContext.Default.AuditEntry) ?? throw new JsonException("the line is null");
}
