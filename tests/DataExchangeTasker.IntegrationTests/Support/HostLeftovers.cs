namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// What a tasker left on the host after tasks that wrote no output files, beyond the state it keeps on purpose: any
/// entry of its work root other than <c>answered/</c>, <c>leases/</c> and <c>cancels.log</c>, a half-written record
/// (<c>*.tmp</c>, the atomic replacements' temporaries), and any entry of its results root (a task without output
/// files gets no results folder) other than the readiness probe's <c>.tasker-probe-*</c> file, which a running tasker
/// writes and deletes there every few seconds (<c>ResultsRootProbe</c>) and so is not a task's.
/// </summary>
public static class HostLeftovers
{
    private static readonly string[] KeptState = ["answered", "leases", "cancels.log"];

    /// <summary>The leftover paths under <paramref name="workRoot"/> and <paramref name="resultsRoot"/>; empty when there are none.</summary>
    public static IReadOnlyList<string> Find(string workRoot, string resultsRoot)
    {
        var left = new List<string>();
        if (Directory.Exists(workRoot))
        {
            left.AddRange(Directory.EnumerateFileSystemEntries(workRoot).Where(e => !KeptState.Contains(Path.GetFileName(e), StringComparer.Ordinal)));
            left.AddRange(Directory.EnumerateFiles(workRoot, "*.tmp", SearchOption.AllDirectories));
        }

        if (Directory.Exists(resultsRoot))
        {
            left.AddRange(Directory.EnumerateFileSystemEntries(resultsRoot).Where(e => !Path.GetFileName(e).StartsWith(".tasker-probe-", StringComparison.Ordinal)));
        }

        return left;
    }
}
