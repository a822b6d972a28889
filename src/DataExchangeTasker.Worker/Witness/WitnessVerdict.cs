using DataExchangeTasker.Governance.Trace;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Witness;

/// <summary>
/// Whether the witness contradicts the trace: a data file the witness saw opened that the trace's <c>dataRead</c>
/// lacks means the trace missed a read (the code hid it), so the run cannot count as traced. Nothing to compare
/// when the witness was off, or when it stands in for a trace whose filter records no opens. When the witness
/// lost events it cannot vouch for the trace either.
/// </summary>
internal static class WitnessVerdict
{
    /// <summary>Files named in the sentence at most; the rest are counted.</summary>
    private const int Named = 20;

    /// <summary>Why the run's trace cannot be trusted given its witness, or null when the two agree.</summary>
    public static string? Disagreement(TraceSummary trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        if (trace.Witness is not { Method: WitnessSummary.Fanotify } witness || witness.StandsIn == true)
        {
            return null;
        }

        var unexplained = Unexplained(trace, witness);
        if (unexplained.Count > 0)
        {
            var names = string.Join(", ", unexplained.Take(Named));
            var more = unexplained.Count > Named ? $" and {unexplained.Count - Named} more" : "";
            return $"The witness outside the sandbox saw the code open data the trace does not show: {names}{more}. The trace is incomplete (the code hid these reads from it).";
        }

        return witness.EventsLost == true
            ? "The witness outside the sandbox lost events while this task ran (the kernel's queue overflowed), so it cannot confirm that the trace shows every data file read."
            : null;
    }

    /// <summary>Paths the witness saw that the trace's data reads do not hold, sorted.</summary>
    internal static IReadOnlyList<string> Unexplained(TraceSummary trace, WitnessSummary witness)
    {
        IEnumerable<string> seen = witness.DataReadAll ?? (IEnumerable<string>?)witness.DataRead ?? [];
        var traced = trace.DataReadAll ?? trace.DataRead.ToHashSet(StringComparer.Ordinal);
        if (trace.DataReadAll is null && trace.DataRead.Count >= TraceSummaryBuilder.MaxEntries)
        {
            // The trace's list was cut and its full set is not at hand (a summary read back from a message): a path
            // past the cut cannot be told from a hidden one, so only a list that was not cut is compared.
            return [];
        }

        if (trace.DataReadAllCapped)
        {
            return [];
        }

        return seen.Where(p => !traced.Contains(p)).Order(StringComparer.Ordinal).ToList();
    }
}
