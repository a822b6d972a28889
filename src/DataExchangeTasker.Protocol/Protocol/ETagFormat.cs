namespace DataExchangeTasker.Protocol;

/// <summary>Recognises a sha256 code hash as <c>tasker hash</c> prints it, as opposed to anything else in <c>codeHash.eTag</c>.</summary>
internal static class ETagFormat
{
    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>Hex digits in a sha256.</summary>
    public const int Sha256HexLength = 64;

    /// <summary>True for 64 hex digits (either case, surrounding white space allowed, as the comparison allows).</summary>
    public static bool IsSha256(string eTag)
    {
        var trimmed = eTag.AsSpan().Trim();
        return trimmed.Length == Sha256HexLength && !trimmed.ContainsAnyExcept(HexDigits);
    }

    /// <summary>The rejection text for an eTag that is not a sha256: what it probably is and how to fix it.</summary>
    public static string NotSha256Message(string eTag) =>
        $"codeHash.eTag \"{StartMessageParser.Shorten(eTag)}\" is not a sha256 code hash (a WebDAV ETag from the original tasker?); " +
        "compute the approved hash with `tasker hash <code folder>` and send that, or leave codeHash out and approve the code " +
        "on the node (tasker approve, TASKER_APPROVALS_FILE), or set TASKER_LEGACY_ETAG=ignore to run such tasks without " +
        "checking the code against the publisher's approval.";
}
