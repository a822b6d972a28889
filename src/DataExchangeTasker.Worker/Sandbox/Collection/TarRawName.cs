using System.Text;

namespace DataExchangeTasker.Sandbox.Collection;

/// <summary>
/// The name of a tar entry as bytes, read from its header blocks (as <see cref="TarHeaderRecorder"/> kept them): a GNU
/// long name (<c>L</c>) or a PAX <c>path</c> record when there is one, else the POSIX prefix and name fields.
/// </summary>
internal static class TarRawName
{
    private const int Block = 512;

    /// <summary>The entry's name, or null when the blocks are not a complete header chain.</summary>
    public static byte[]? Parse(ReadOnlySpan<byte> chain)
    {
        byte[]? longName = null;
        byte[]? paxPath = null;
        var offset = 0;
        while (offset + Block <= chain.Length)
        {
            var header = chain.Slice(offset, Block);
            var type = header[156];
            if (type is (byte)'L' or (byte)'K' or (byte)'x')
            {
                var size = Size(header[124..136]);
                if (size is not { } s || offset + Block + s > chain.Length)
                {
                    return null;
                }

                var data = chain.Slice(offset + Block, (int)s);
                if (type == (byte)'L')
                {
                    longName = UntilNul(data).ToArray();
                }
                else if (type == (byte)'x')
                {
                    paxPath = PaxPath(data) ?? paxPath;
                }

                offset += Block + (int)((s + Block - 1) / Block * Block);
                continue;
            }

            if (longName is not null || paxPath is not null)
            {
                return paxPath ?? longName;
            }

            var name = UntilNul(header[..100]);
            // POSIX ustar ("ustar\0" + "00") splits long names into prefix/name; GNU's "ustar  \0" uses those bytes otherwise.
            var prefix = header[257..263].SequenceEqual("ustar\0"u8) ? UntilNul(header[345..500]) : [];
            return prefix.IsEmpty ? name.ToArray() : [.. prefix, (byte)'/', .. name];
        }

        return null;
    }

    private static ReadOnlySpan<byte> UntilNul(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return end < 0 ? field : field[..end];
    }

    /// <summary>An octal (or GNU base-256) size field; null when it is neither or too large to be a name.</summary>
    private static long? Size(ReadOnlySpan<byte> field)
    {
        long value = 0;
        if ((field[0] & 0x80) != 0)
        {
            foreach (var b in field[1..])
            {
                value = (value << 8) | b;
                if (value > 1 << 20)
                {
                    return null;
                }
            }

            return value;
        }

        foreach (var b in field)
        {
            if (b is 0 or (byte)' ')
            {
                break;
            }

            if (b is < (byte)'0' or > (byte)'7')
            {
                return null;
            }

            value = (value * 8) + (b - '0');
            if (value > 1 << 20)
            {
                return null;
            }
        }

        return value;
    }

    /// <summary>The value of the <c>path</c> record of PAX extended header data ("LEN path=VALUE\n" records).</summary>
    private static byte[]? PaxPath(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var space = data.IndexOf((byte)' ');
            if (space <= 0 || !int.TryParse(Encoding.ASCII.GetString(data[..space]), System.Globalization.CultureInfo.InvariantCulture, out var length)
                || length <= space + 1 || length > data.Length)
            {
                return null;
            }

            var record = data[(space + 1)..(length - 1)];
            if (record.StartsWith("path="u8))
            {
                return record["path=".Length..].ToArray();
            }

            data = data[length..];
        }

        return null;
    }
}
