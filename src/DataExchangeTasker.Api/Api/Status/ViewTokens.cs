using System.Security.Cryptography;
using System.Text;

namespace DataExchangeTasker.Api.Status;

/// <summary>
/// Read-only status page links, <c>/view/&lt;token&gt;</c>: the token names whose tasks it shows (a client, or
/// <see cref="Admin"/> for all) and is signed with the store's secret, so any api process on the store accepts it. It
/// shows only what that principal may read, cannot submit or change anything, and stops working when the client is
/// disabled; a leaked link is revoked by disabling the client (or, for the admin link, replacing the store's secret).
/// </summary>
internal sealed class ViewTokens(string secret)
{
    /// <summary>The principal of the admin's link (client ids cannot start with '*').</summary>
    public const string Admin = "*admin";

    /// <summary>The token for <paramref name="principal"/>.</summary>
    public string Create(string principal)
    {
        var name = Convert.ToBase64String(Encoding.UTF8.GetBytes(principal)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return name + "." + Sign(principal);
    }

    /// <summary>The principal a token names, or null when it is malformed or not signed by this store.</summary>
    public string? Read(string token)
    {
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || token.Length > 400)
        {
            return null;
        }

        try
        {
            var b64 = token[..dot].Replace('-', '+').Replace('_', '/');
            var principal = Encoding.UTF8.GetString(Convert.FromBase64String(b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=')));
            var expected = Encoding.ASCII.GetBytes(Sign(principal));
            var given = Encoding.ASCII.GetBytes(token[(dot + 1)..]);
            return CryptographicOperations.FixedTimeEquals(expected, given) ? principal : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private string Sign(string principal) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes("view:" + principal)))[..40];
}
