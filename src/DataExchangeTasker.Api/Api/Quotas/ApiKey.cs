using System.Security.Cryptography;
using System.Text;

namespace DataExchangeTasker.Api.Quotas;

/// <summary>
/// Client API keys: 32 random bytes, shown once. Only their SHA-256 is stored; a key this long cannot be guessed, so
/// a fast hash is enough (no password stretching needed) and a lookup is one indexed read.
/// </summary>
internal static class ApiKey
{
    /// <summary>A new key, <c>tk_</c> + 43 base64url characters.</summary>
    public static string New() => "tk_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>What the store keeps of <paramref name="key"/>.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Constant-time comparison of a presented secret with the expected one.</summary>
    public static bool Matches(string? presented, string expected) =>
        presented is not null &&
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
