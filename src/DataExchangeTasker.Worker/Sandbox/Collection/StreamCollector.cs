using System.Text;
using DataExchangeTasker.Governance.Receipts;
using DataExchangeTasker.Governance.Trace;

namespace DataExchangeTasker.Sandbox.Collection;

/// <summary>
/// Reads one of the supervisor's files (a stream of the code, the trace, the manifest) to its end: keeps at most a
/// limit of it as text while hashing all of it, so the done message carries a bounded part and the receipt the whole
/// stream's digest.
/// </summary>
internal static class StreamCollector
{
    /// <summary>Reads <paramref name="data"/> to its end, keeping at most <paramref name="limit"/> bytes.</summary>
    public static async Task<CollectedStream> CollectAsync(Stream data, long limit, CancellationToken cancellationToken, TraceSummaryBuilder? summarizer = null)
    {
        using var digest = new StreamDigestBuilder();
        var cap = (int)Math.Min(limit, Array.MaxLength - 1);
        using var kept = new MemoryStream();
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await data.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            digest.Append(buffer.AsSpan(0, read));
            summarizer?.Append(buffer.AsSpan(0, read));
            var room = cap - (int)kept.Length;
            if (room > 0)
            {
                kept.Write(buffer, 0, Math.Min(room, read));
            }

            total += read;
        }

        var text = new BoundedText(Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length), total > cap);
        var whole = digest.Build();
        return new CollectedStream(text, total, whole.Sha256) { Utf8 = whole.Utf8 };
    }

    /// <summary>Reads the manifest (at most <see cref="SupervisorManifest.MaxBytes"/>) and parses it.</summary>
    public static async Task<SupervisorManifest> ManifestAsync(Stream data, CancellationToken cancellationToken)
    {
        var text = await CollectAsync(data, SupervisorManifest.MaxBytes, cancellationToken).ConfigureAwait(false);
        return text.Text.Truncated
            ? throw new InvalidDataException($"The supervisor manifest is longer than {SupervisorManifest.MaxBytes} bytes.")
            : SupervisorManifest.Parse(text.Text.Text);
    }
}
