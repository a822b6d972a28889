using System.Text;

namespace DataExchangeTasker.Governance;

/// <summary>
/// The pieces of strace's C-like notation the summary needs: quote-aware scanning for the end of an argument
/// list, splitting at top-level commas, and decoding string literals (octal/hex/C escapes, <c>"..."...</c>
/// truncation marks) back to UTF-8 text.
/// </summary>
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

    /// <summary>Splits an argument list (without its parentheses) at commas outside strings and brackets.</summary>
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

        var bytes = new List<byte>(text.Length);
        for (var i = open + 1; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"')
            {
                return Encoding.UTF8.GetString(bytes.ToArray());
            }

            if (c != '\\' || i + 1 >= text.Length)
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
                case 'x' when i + 2 < text.Length && Uri.IsHexDigit(text[i + 1]) && Uri.IsHexDigit(text[i + 2]):
                    bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                    i += 2;
                    break;
                case >= '0' and <= '7':
                    var value = e - '0';
                    for (var n = 0; n < 2 && i + 1 < text.Length && text[i + 1] is >= '0' and <= '7'; n++)
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

    /// <summary>The value of <c>name=value</c> inside a struct like <c>{flags=O_RDONLY, resolve=0}</c>.</summary>
    public static string? Field(string structText, string name)
    {
        var inner = structText.Trim().TrimStart('{').TrimEnd('}');
        foreach (var part in SplitArguments(inner))
        {
            if (part.StartsWith(name + "=", StringComparison.Ordinal))
            {
                return part[(name.Length + 1)..];
            }
        }

        return null;
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
