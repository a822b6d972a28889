using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>Assertions about a done message's witness (issue 24), for any test that runs a task.</summary>
public static class WitnessAssert
{
    /// <summary>
    /// The fanotify witness watched the run and its list of data files is exactly the trace's <c>dataRead</c> (as
    /// sets, in the witness's sorted order): nothing was read that the trace missed, and the trace claims no read the
    /// kernel did not see.
    /// </summary>
    public static void ListsAgree(DoneMessage done)
    {
        ArgumentNullException.ThrowIfNull(done);
        var summary = done.TraceSummary ?? throw new Xunit.Sdk.XunitException($"{done.TaskId}: no traceSummary ({done.State}/{done.Reason}: {done.Output})");
        var witness = summary.Witness ?? throw new Xunit.Sdk.XunitException($"{done.TaskId}: no traceSummary.witness");
        Assert.True(witness.Method == WitnessSummary.Fanotify, $"{done.TaskId}: witness {witness.Method}: {witness.Why}");
        Assert.Equal(summary.DataRead.Distinct().Order(StringComparer.Ordinal), witness.DataRead!);
        Assert.False(witness.Capped == true || witness.EventsLost == true, $"{done.TaskId}: the witness was capped or lost events");
    }

    /// <summary>
    /// Every data file the kernel saw opened is in the trace's <c>dataRead</c>; the trace may name more, but only
    /// names that open nothing under <paramref name="hostDataRoot"/>. For code that flips an open's path while strace
    /// reads it: the trace then counts the name it read (over-reporting on purpose: a descriptor swapped before strace
    /// resolved it must not hide a read), which can be half decoy, half data.
    /// </summary>
    public static void WitnessWithinTrace(DoneMessage done, string hostDataRoot)
    {
        ArgumentNullException.ThrowIfNull(done);
        var summary = done.TraceSummary ?? throw new Xunit.Sdk.XunitException($"{done.TaskId}: no traceSummary ({done.State}/{done.Reason}: {done.Output})");
        var witness = summary.Witness ?? throw new Xunit.Sdk.XunitException($"{done.TaskId}: no traceSummary.witness");
        Assert.True(witness.Method == WitnessSummary.Fanotify, $"{done.TaskId}: witness {witness.Method}: {witness.Why}");
        Assert.False(witness.Capped == true || witness.EventsLost == true, $"{done.TaskId}: the witness was capped or lost events");
        Assert.Subset(summary.DataRead.ToHashSet(StringComparer.Ordinal), witness.DataRead!.ToHashSet(StringComparer.Ordinal));
        foreach (var extra in summary.DataRead.Except(witness.DataRead!, StringComparer.Ordinal))
        {
            var host = Path.Combine(hostDataRoot, extra["/tmp/data/".Length..]);
            Assert.False(File.Exists(host), $"{done.TaskId}: the trace lists {extra}, an existing data file the kernel never saw opened");
        }
    }
}
