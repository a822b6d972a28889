namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// What a tasker left on the host after tasks that wrote no output files, beyond the state it keeps on purpose: any
/// entry of its work root other than <c>answered/</c>, <c>leases/</c> and <c>cancels.log</c>, a half-written record
/// (<c>*.tmp</c>, the atomic replacements' temporaries), and any entry of its results root (a task without output
/// files gets no results folder).
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
            left.AddRange(Directory.EnumerateFileSystemEntries(resultsRoot));
        }

        return left;
    }
}
