using System.Text;

namespace DataExchangeTasker.Sandbox.Run;

/// <summary>One <c>\n</c>-terminated line of the supervisor's channel, read byte by byte from a buffered stream so that what follows it stays unread.</summary>
/// <param name="Text">The line without its <c>\n</c>, at most the requested length (UTF-8, invalid bytes replaced).</param>
/// <param name="Overlong">The line was longer; the rest of it was read and dropped.</param>
/// <param name="Terminated">The line ended with <c>\n</c> (false: the stream ended first).</param>
/// <param name="Bytes">Bytes read, the <c>\n</c> included.</param>
internal sealed record ChannelLine(string Text, bool Overlong, bool Terminated, long Bytes)
{
    /// <summary>Reads one line; null when the stream ended before any byte.</summary>
    public static async Task<ChannelLine?> ReadAsync(Stream buffered, int maxBytes, CancellationToken cancellationToken)
    {
        var kept = new List<byte>();
        var one = new byte[1];
        long bytes = 0;
        while (true)
        {
            if (await buffered.ReadAsync(one, cancellationToken).ConfigureAwait(false) == 0)
            {
                return bytes == 0 ? null : new ChannelLine(Encoding.UTF8.GetString([.. kept]), bytes > maxBytes, false, bytes);
            }

            bytes++;
            if (one[0] == (byte)'\n')
            {
                return new ChannelLine(Encoding.UTF8.GetString([.. kept]), bytes - 1 > maxBytes, true, bytes);
            }

            if (kept.Count < maxBytes)
            {
                kept.Add(one[0]);
            }
        }
    }
}
