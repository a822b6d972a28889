using System.Formats.Tar;
using DataExchangeTasker.Governance.Trace;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Sandbox.Collection;

/// <summary>
/// Reads the tar stream of the supervisor's folder (<c>tar -cf - -C /run/tasker manifest stdout.txt stderr.txt
/// strace.txt</c>, run by the tasker through <c>docker exec</c>): keeps at most the output limit of each stream
/// while hashing all of it, and at most <see cref="SupervisorManifest.MaxBytes"/> of the manifest. Entries are
/// matched by name only; anything else, and any entry that is not a regular file, is skipped.
/// </summary>
internal static class SupervisorArchiveReader
{
    /// <summary>Reads <paramref name="archive"/> to its end.</summary>
    public static async Task<SupervisorResults> ReadAsync(Stream archive, long outputLimitBytes, CancellationToken cancellationToken)
    {
        CollectedStream? stdout = null, stderr = null, strace = null;
        SupervisorManifest? manifest = null;
        TraceSummary? summary = null;
        using var reader = new TarReader(archive, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
            {
                continue;
            }

            switch (NameOf(entry.Name))
            {
                case "stdout.txt":
                    stdout = await StreamCollector.CollectAsync(entry.DataStream, outputLimitBytes, cancellationToken).ConfigureAwait(false);
                    break;
                case "stderr.txt":
                    stderr = await StreamCollector.CollectAsync(entry.DataStream, outputLimitBytes, cancellationToken).ConfigureAwait(false);
                    break;
                case "strace.txt":
                    // The summary sees every byte of the trace, not just the part the done message keeps.
                    var summarizer = new TraceSummaryBuilder();
                    strace = await StreamCollector.CollectAsync(entry.DataStream, outputLimitBytes, cancellationToken, summarizer).ConfigureAwait(false);
                    summary = summarizer.Build();
                    break;
                case "manifest":
                    manifest = await StreamCollector.ManifestAsync(entry.DataStream, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }

        return new SupervisorResults(stdout ?? CollectedStream.Missing, stderr ?? CollectedStream.Missing, strace ?? CollectedStream.Missing, manifest)
        {
            TraceSummary = summary,
        };
    }

    /// <summary>The entry's name without a leading <c>./</c> or the folder name the archive API prefixes (<c>tasker/</c>).</summary>
    private static string NameOf(string name)
    {
        var trimmed = name.StartsWith("./", StringComparison.Ordinal) ? name[2..] : name;
        return trimmed.StartsWith("tasker/", StringComparison.Ordinal) ? trimmed["tasker/".Length..] : trimmed;
    }
}
