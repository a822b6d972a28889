using System.Text;

namespace DataExchangeTasker.Governance.Trace;

/// <summary>
/// The pieces of strace's C-like notation the summary needs: scanning for the end of an argument list and
/// splitting at top-level commas, both blind to what is inside string literals and descriptor paths; decoding
/// string literals (octal/hex/C escapes, <c>"..."...</c> truncation marks) back to UTF-8 text; and reading the
/// path strace <c>-y</c> prints after a descriptor (<c>3&lt;/tmp/data&gt;</c>, <c>AT_FDCWD&lt;/tmp&gt;</c>).
/// </summary>
/// <remarks>
/// strace prints a descriptor's path unquoted but escaped: <c>&lt;</c>, <c>&gt;</c>, <c>"</c> and <c>\</c> and every
/// byte that is not printable ASCII as <c>\74</c>, <c>\76</c>, <c>\"</c>, <c>\\</c>, <c>\n</c>, <c>\303</c>... So the
/// first <c>&gt;</c> after the opening <c>&lt;</c> closes the path, whatever the file is called; spaces, commas and
/// parentheses inside it are the file name's own and must not be read as syntax.
/// </remarks>
internal static class StraceText
{
    /// <summary>
    /// Index of the ')' closing an argument list that starts at <paramref name="start"/> (just after '('), or -1
    /// when the text ends first (an unfinished call).
    /// </summary>
    public static int FindClose(string text, int start)
    {
        var depth = 0;
        for (var i = start; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '"':
                    i = SkipString(text, i);
                    break;
                case '<' when IsDescriptorPath(text, i):
                    i = SkipDescriptorPath(text, i);
                    break;
                case '(' or '{' or '[':
                    depth++;
                    break;
                case ')' when depth == 0:
                    return i;
                case ')' or '}' or ']':
                    depth--;
                    break;
            }
        }

        return -1;
    }

    /// <summary>Splits an argument list (without its parentheses) at commas outside strings, descriptor paths and brackets.</summary>
    public static List<string> SplitArguments(string arguments)
    {
        var result = new List<string>();
        var depth = 0;
        var from = 0;
        for (var i = 0; i < arguments.Length; i++)
        {
            switch (arguments[i])
            {
                case '"':
                    i = SkipString(arguments, i);
                    break;
                case '<' when IsDescriptorPath(arguments, i):
                    i = SkipDescriptorPath(arguments, i);
                    break;
                case '(' or '{' or '[':
                    depth++;
                    break;
                case ')' or '}' or ']':
                    depth--;
                    break;
                case ',' when depth == 0:
                    result.Add(arguments[from..i].Trim());
                    from = i + 1;
                    break;
            }
        }

        var last = arguments[from..].Trim();
        if (last.Length > 0 || result.Count > 0)
        {
            result.Add(last);
        }

        return result;
    }

    /// <summary>The decoded value of the first string literal in <paramref name="text"/>, or null when there is none.</summary>
    public static string? FirstString(string text)
    {
        var open = text.IndexOf('"', StringComparison.Ordinal);
        if (open < 0)
        {
            return null;
        }

        var close = SkipString(text, open);
        var end = close < text.Length && text[close] == '"' && close > open ? close : text.Length;
        return Unescape(text, open + 1, end);
    }

    /// <summary>
    /// The path strace <c>-y</c> printed for a descriptor argument or a returned descriptor (<c>3&lt;/tmp/x&gt;</c>,
    /// <c>AT_FDCWD&lt;/tmp&gt;</c>), decoded; null when <paramref name="text"/> is not a descriptor with a path.
    /// </summary>
    public static string? DescriptorPath(string text)
    {
        var open = text.IndexOf('<', StringComparison.Ordinal);
        if (open <= 0 || !text.EndsWith('>') || !IsDescriptorPath(text, open))
        {
            return null;
        }

        var close = SkipDescriptorPath(text, open);
        return close == text.Length - 1 ? Unescape(text, open + 1, close) : null;
    }

    /// <summary>The value of <c>name=value</c> inside a struct like <c>{flags=O_RDONLY, resolve=0}</c>.</summary>
    public static string? Field(string structText, string name)
    {
        var inner = Inside(structText, '{', '}');
        if (inner is null)
        {
            return null;
        }

        foreach (var part in SplitArguments(inner))
        {
            if (part.StartsWith(name + "=", StringComparison.Ordinal))
            {
                return part[(name.Length + 1)..];
            }
        }

        return null;
    }

    /// <summary>The elements of a struct (<c>{a=1, b}</c>) or array (<c>[x, y]</c>), split at top-level commas.</summary>
    public static List<string> Elements(string text, char open, char close) =>
        Inside(text, open, close) is { } inner ? SplitArguments(inner) : [];

    /// <summary>
    /// True when the '&lt;' at <paramref name="at"/> opens a descriptor path: it follows a descriptor number or
    /// <c>AT_FDCWD</c>, and is not a shift (<c>1&lt;&lt;CAP_CHOWN</c>).
    /// </summary>
    private static bool IsDescriptorPath(string text, int at) =>
        at > 0
        && (char.IsAsciiDigit(text[at - 1]) || text.AsSpan(0, at).EndsWith("AT_FDCWD", StringComparison.Ordinal))
        && (at + 1 >= text.Length || text[at + 1] != '<');

    /// <summary>Index of the '&gt;' closing the descriptor path opened at <paramref name="open"/> (the last index when none does).</summary>
    private static int SkipDescriptorPath(string text, int open)
    {
        var close = text.IndexOf('>', open + 1);
        return close < 0 ? text.Length - 1 : close;
    }

    private static string? Inside(string text, char open, char close)
    {
        var trimmed = text.Trim();
        return trimmed.Length >= 2 && trimmed[0] == open && trimmed[^1] == close ? trimmed[1..^1] : null;
    }

    private static int SkipString(string text, int quote)
    {
        for (var i = quote + 1; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
            }
            else if (text[i] == '"')
            {
                return i;
            }
        }

        return text.Length - 1;
    }

    /// <summary>Decodes strace's escapes in <c>text[from..to]</c>; bytes that are not UTF-8 become U+FFFD.</summary>
    private static string Unescape(string text, int from, int to)
    {
        var bytes = new List<byte>(to - from);
        for (var i = from; i < to; i++)
        {
            var c = text[i];
            if (c != '\\' || i + 1 >= to)
            {
                AppendUtf8(bytes, c);
                continue;
            }

            var e = text[++i];
            switch (e)
            {
                case 'n': bytes.Add((byte)'\n'); break;
                case 't': bytes.Add((byte)'\t'); break;
                case 'r': bytes.Add((byte)'\r'); break;
                case 'v': bytes.Add((byte)'\v'); break;
                case 'f': bytes.Add((byte)'\f'); break;
                case 'x' when i + 2 < to && Uri.IsHexDigit(text[i + 1]) && Uri.IsHexDigit(text[i + 2]):
                    bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                    i += 2;
                    break;
                case >= '0' and <= '7':
                    var value = e - '0';
                    for (var n = 0; n < 2 && i + 1 < to && text[i + 1] is >= '0' and <= '7'; n++)
                    {
                        value = (value * 8) + (text[++i] - '0');
                    }

                    bytes.Add((byte)value);
                    break;
                default:
                    AppendUtf8(bytes, e);
                    break;
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static void AppendUtf8(List<byte> bytes, char c)
    {
        if (c < 0x80)
        {
            bytes.Add((byte)c);
            return;
        }

        Span<byte> buffer = stackalloc byte[4];
        var rune = char.IsSurrogate(c) ? Rune.ReplacementChar : new Rune(c);
        var length = rune.EncodeToUtf8(buffer);
        for (var i = 0; i < length; i++)
        {
            bytes.Add(buffer[i]);
        }
    }
}
