using System.Text.Json;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Messaging;

/// <summary>
/// Makes a done message fit a size limit: cuts the longest stream (keeping its start) and sets its
/// <c>truncated</c> flag, then drops output file entries (<c>truncated.files</c>), then shortens <c>output</c>.
/// Each round removes at least the excess, so a few rounds always do.
/// </summary>
public static class DoneMessageFitter
{
    private const int MaxRounds = 64;

    /// <summary>The done message as sent (<paramref name="done"/> itself when it fits), its body, and whether it was cut.</summary>
    public static (DoneMessage Done, byte[] Body, bool Trimmed) Fit(DoneMessage done, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(done);
        var body = Serialize(done);
        var current = done;
        for (var round = 0; round < MaxRounds && body.LongLength > maxBytes; round++)
        {
            // A removed char is at least one byte of JSON, so cutting the excess (in chars) removes at least the excess.
            var excess = (int)Math.Min(int.MaxValue, body.LongLength - maxBytes + 16);
            var next = Cut(current, excess);
            if (next is null)
            {
                break;
            }

            current = next;
            body = Serialize(current);
        }

        return (current, body, !ReferenceEquals(current, done));
    }

    private static DoneMessage? Cut(DoneMessage done, int excess)
    {
        var truncated = done.Truncated ?? TruncatedStreams.None;
        if (done.ContainerOutput is { } output && output.Stdout.Length + output.Stderr.Length + output.Strace.Length > 0)
        {
            if (output.Strace.Length >= output.Stdout.Length && output.Strace.Length >= output.Stderr.Length)
            {
                return done with { ContainerOutput = output with { Strace = Shorten(output.Strace, excess) }, Truncated = truncated with { Strace = true } };
            }

            return output.Stdout.Length >= output.Stderr.Length
                ? done with { ContainerOutput = output with { Stdout = Shorten(output.Stdout, excess) }, Truncated = truncated with { Stdout = true } }
                : done with { ContainerOutput = output with { Stderr = Shorten(output.Stderr, excess) }, Truncated = truncated with { Stderr = true } };
        }

        if (done.OutputFiles is { Count: > 0 } files)
        {
            return done with { OutputFiles = files.Take(files.Count / 2).ToList(), Truncated = truncated with { Files = true } };
        }

        return done.Output.Length > 0 ? done with { Output = Shorten(done.Output, excess) } : null;
    }

    private static string Shorten(string text, int excess)
    {
        var length = Math.Max(0, text.Length - excess);
        if (length > 0 && char.IsHighSurrogate(text[length - 1]))
        {
            length--;
        }

        return text[..length];
    }

    private static byte[] Serialize(DoneMessage done) => JsonSerializer.SerializeToUtf8Bytes(done, ProtocolJson.Done);
}
