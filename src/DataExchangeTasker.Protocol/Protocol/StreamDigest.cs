using System.Security.Cryptography;
using System.Text;

namespace DataExchangeTasker.Protocol;

/// <summary>Size and SHA-256 of a whole output stream, and whether its bytes were valid UTF-8.</summary>
/// <param name="Size">Bytes in the stream.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of those bytes.</param>
/// <param name="Utf8">
/// True when the bytes were valid UTF-8: only then is the text in the done message the bytes themselves, so a
/// verifier can re-hash it. Invalid sequences are replaced when the text is decoded.
/// </param>
public sealed record StreamDigest(long Size, string Sha256, bool Utf8)
{
    /// <summary>The digest of <paramref name="bytes"/>.</summary>
    public static StreamDigest Of(ReadOnlySpan<byte> bytes) =>
        new(bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)), System.Text.Unicode.Utf8.IsValid(bytes));

    /// <summary>The digest of <paramref name="text"/> encoded as UTF-8.</summary>
    public static StreamDigest Of(string text) => Of(Encoding.UTF8.GetBytes(text));
}
