using System.Globalization;

namespace DataExchangeTasker.Configuration;

/// <summary>Parses sizes such as <c>512m</c>, <c>1GiB</c>, <c>64k</c> or plain bytes (binary multiples).</summary>
internal static class ByteSize
{
    /// <summary>Returns false for anything but a non-negative whole number with an optional k/m/g/t suffix.</summary>
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var s = text.Trim().ToLowerInvariant();
        foreach (var unit in new[] { "ib", "b" })
        {
            if (s.Length > unit.Length && s.EndsWith(unit, StringComparison.Ordinal) && (unit == "ib" || char.IsLetter(s[^2])))
            {
                s = s[..^unit.Length];
                break;
            }
        }

        long multiplier = 1;
        if (s.Length > 0 && "kmgt".IndexOf(s[^1], StringComparison.Ordinal) is var power and >= 0)
        {
            multiplier = 1L << (10 * (power + 1));
            s = s[..^1];
        }

        if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > long.MaxValue / multiplier)
        {
            return false;
        }

        bytes = value * multiplier;
        return true;
    }
}
