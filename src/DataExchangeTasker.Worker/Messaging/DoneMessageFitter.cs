using System.Text.Json;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Messaging;

/// <summary>
/// Makes a done message fit a size limit: caps every stream at the largest common length that fits (keeping each
/// stream's start) and sets the <c>truncated</c> flag of each stream it cut; if even empty streams do not fit, drops
/// the listed refused entries (their count stays), then output file entries (<c>truncated.files</c>), then shortens
/// <c>output</c>. Each step is a binary search over a
/// length, so it ends after a few dozen serializations, never loops.
/// </summary>
internal static class DoneMessageFitter
{
    /// <summary>The done message as sent (<paramref name="done"/> itself when it fits), its body, and whether it was cut.</summary>
    public static (DoneMessage Done, byte[] Body, bool Trimmed) Fit(DoneMessage done, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(done);
        var body = Serialize(done);
        if (body.LongLength <= maxBytes)
        {
            return (done, body, false);
        }

        var current = done;
        var truncated = done.Truncated ?? TruncatedStreams.None;
        if (done.ContainerOutput is { } output)
        {
            var longest = Math.Max(output.Stdout.Length, Math.Max(output.Stderr.Length, output.Strace.Length));
            DoneMessage Capped(int cap) => done with
            {
                ContainerOutput = new ContainerOutput(Shorten(output.Stdout, cap), Shorten(output.Stderr, cap), Shorten(output.Strace, cap)),
                Truncated = truncated with
                {
                    Stdout = truncated.Stdout || output.Stdout.Length > cap,
                    Stderr = truncated.Stderr || output.Stderr.Length > cap,
                    Strace = truncated.Strace || output.Strace.Length > cap,
                },
            };

            if (Largest(longest - 1, Capped, maxBytes) is { } fits)
            {
                return (fits.Done, fits.Body, true);
            }

            current = Capped(0);
            truncated = current.Truncated!;
        }

        if (current.RefusedOutputs is { Entries.Count: > 0 } refused)
        {
            var withoutStreamsOrRefused = current;
            DoneMessage Listed(int count) => withoutStreamsOrRefused with { RefusedOutputs = refused with { Entries = refused.Entries.Take(count).ToList() } };
            if (Largest(refused.Entries.Count - 1, Listed, maxBytes) is { } fits)
            {
                return (fits.Done, fits.Body, true);
            }

            current = Listed(0);
        }

        if (current.OutputFiles is { Count: > 0 } files)
        {
            var withoutStreams = current;
            DoneMessage Kept(int count) => withoutStreams with { OutputFiles = files.Take(count).ToList(), Truncated = truncated with { Files = true } };
            if (Largest(files.Count - 1, Kept, maxBytes) is { } fits)
            {
                return (fits.Done, fits.Body, true);
            }

            current = Kept(0);
        }

        var lastResort = current;
        DoneMessage Said(int length) => lastResort with { Output = Shorten(lastResort.Output, length) };
        var found = Largest(current.Output.Length, Said, maxBytes);
        return found is { } last ? (last.Done, last.Body, true) : (Said(0), Serialize(Said(0)), true);
    }

    /// <summary>The message <paramref name="make"/> builds for the largest n in [0, <paramref name="high"/>] whose body fits; null when none does.</summary>
    private static (DoneMessage Done, byte[] Body)? Largest(int high, Func<int, DoneMessage> make, long maxBytes)
    {
        (DoneMessage, byte[])? best = null;
        var low = 0;
        while (low <= high)
        {
            var middle = low + ((high - low) / 2);
            var candidate = make(middle);
            var body = Serialize(candidate);
            if (body.LongLength <= maxBytes)
            {
                best = (candidate, body);
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return best;
    }

    private static string Shorten(string text, int length)
    {
        if (text.Length <= length)
        {
            return text;
        }

        if (length > 0 && char.IsHighSurrogate(text[length - 1]))
        {
            length--;
        }

        return text[..length];
    }

    private static byte[] Serialize(DoneMessage done) => JsonSerializer.SerializeToUtf8Bytes(done, ProtocolJson.Done);
}
