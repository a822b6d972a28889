using System.Text;

namespace DataExchangeTasker.Protocol;

/// <summary>
/// A file name's bytes as JSON-safe text that keeps different names different: UTF-8 sequences stay the characters
/// they encode, each byte that is not part of one becomes <c>\xHH</c> (lower-case hex) and a backslash becomes
/// <c>\\</c>, so the bytes can be told back exactly.
/// </summary>
internal static class EscapedPath
{
    /// <summary>Longer escaped paths keep their first and last characters around an ellipsis.</summary>
    public const int MaxLength = 1024;

    /// <summary>The escaped text of <paramref name="bytes"/>, shortened to <see cref="MaxLength"/> characters.</summary>
    public static string Of(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        while (!bytes.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(bytes, out var rune, out var consumed) == System.Buffers.OperationStatus.Done)
            {
                if (rune.Value == '\\')
                {
                    text.Append(@"\\");
                }
                else
                {
                    text.Append(rune.ToString());
                }
            }
            else
            {
                foreach (var b in bytes[..consumed])
                {
                    text.Append(@"\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                }
            }

            bytes = bytes[consumed..];
        }

        return Shorten(text.ToString());
    }

    /// <summary>True when <paramref name="bytes"/> are valid UTF-8.</summary>
    public static bool IsUtf8(ReadOnlySpan<byte> bytes) => System.Text.Unicode.Utf8.IsValid(bytes);

    private static string Shorten(string text)
    {
        if (text.Length <= MaxLength)
        {
            return text;
        }

        var head = (MaxLength / 2) - 1;
        var tail = MaxLength - head - 1;
        // Never split a surrogate pair.
        if (char.IsHighSurrogate(text[head - 1]))
        {
            head--;
        }

        if (char.IsLowSurrogate(text[^tail]))
        {
            tail--;
        }

        return string.Concat(text.AsSpan(0, head), "…", text.AsSpan(text.Length - tail));
    }
}
