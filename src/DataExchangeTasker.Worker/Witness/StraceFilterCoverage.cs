namespace DataExchangeTasker.Witness;

/// <summary>
/// Whether a <c>TASKER_STRACE_FILTER</c> (strace's <c>-e trace=</c> expression) records every open the trace
/// summary reads (<c>open</c>, <c>openat</c>, <c>openat2</c>, <c>creat</c>): <c>all</c>, a class holding them
/// (<c>%file</c>, <c>%desc</c>) or all four by name. A negated set, a regular expression or anything else counts as
/// narrowed: then the trace's <c>dataRead</c> cannot be complete by construction, and the witness stands in for it.
/// </summary>
internal static class StraceFilterCoverage
{
    private static readonly string[] OpenCalls = ["open", "openat", "openat2", "creat"];
    private static readonly string[] Classes = ["all", "%file", "file", "%desc", "desc"];

    /// <summary>True when a trace under <paramref name="filter"/> shows every open.</summary>
    public static bool RecordsOpens(string filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var tokens = filter.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(t => t.TrimStart('?'))
            .ToList();
        if (tokens.Count == 0 || tokens.Any(t => t.StartsWith('!') || t.StartsWith('/')))
        {
            return false;
        }

        return tokens.Any(t => Classes.Contains(t, StringComparer.Ordinal)) || OpenCalls.All(c => tokens.Contains(c, StringComparer.Ordinal));
    }
}
