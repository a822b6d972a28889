using DataExchangeTasker.Governance.Trace;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Witness;

namespace DataExchangeTasker.Tests.Witness;

public sealed class WitnessVerdictTests
{
    private static TraceSummary Trace(params string[] dataRead) => new TraceSummaryBuilder().Build() with { DataRead = dataRead, DataReadAll = null };

    private static WitnessSummary Saw(params string[] dataRead) => new(WitnessSummary.Fanotify)
    {
        DataRead = dataRead, Capped = false, Unattributed = 0, RuntimeOpens = 0, EventsLost = false, StandsIn = false,
    };

    [Fact]
    public void Disagreement_WitnessSawWhatTheTraceShows_IsNull()
    {
        Assert.Null(WitnessVerdict.Disagreement(Trace("/tmp/data/a", "/tmp/data/b") with { Witness = Saw("/tmp/data/b", "/tmp/data/a") }));
    }

    [Fact]
    public void Disagreement_TraceLacksAFile_NamesIt()
    {
        var sentence = WitnessVerdict.Disagreement(Trace("/tmp/data/a") with { Witness = Saw("/tmp/data/a", "/tmp/data/hidden") });

        Assert.NotNull(sentence);
        Assert.Contains("/tmp/data/hidden", sentence, StringComparison.Ordinal);
        Assert.DoesNotContain("/tmp/data/a,", sentence, StringComparison.Ordinal);
    }

    [Fact]
    public void Disagreement_TraceShowsMoreThanTheWitness_IsNull()
    {
        // An O_PATH open, or an open that failed the witness's way: the trace may list more, never less.
        Assert.Null(WitnessVerdict.Disagreement(Trace("/tmp/data/a", "/tmp/data/b") with { Witness = Saw("/tmp/data/a") }));
    }

    [Fact]
    public void Disagreement_WitnessStandsInOrIsOff_IsNull()
    {
        Assert.Null(WitnessVerdict.Disagreement(Trace() with { Witness = Saw("/tmp/data/a") with { StandsIn = true } }));
        Assert.Null(WitnessVerdict.Disagreement(Trace() with { Witness = WitnessSummary.NotWatched("off") }));
        Assert.Null(WitnessVerdict.Disagreement(Trace()));
    }

    [Fact]
    public void Disagreement_EventsLost_CannotVouch()
    {
        var sentence = WitnessVerdict.Disagreement(Trace("/tmp/data/a") with { Witness = Saw("/tmp/data/a") with { EventsLost = true } });

        Assert.Contains("lost events", sentence, StringComparison.Ordinal);
    }

    [Fact]
    public void Disagreement_ManyHiddenFiles_NamesTwentyAndCountsTheRest()
    {
        var hidden = Enumerable.Range(0, 25).Select(i => $"/tmp/data/h{i:D2}").ToArray();

        var sentence = WitnessVerdict.Disagreement(Trace() with { Witness = Saw(hidden) })!;

        Assert.Contains("/tmp/data/h19", sentence, StringComparison.Ordinal);
        Assert.DoesNotContain("/tmp/data/h20", sentence, StringComparison.Ordinal);
        Assert.Contains("and 5 more", sentence, StringComparison.Ordinal);
    }

    [Fact]
    public void Unexplained_ListsCutOnBothSides_ComparesTheFullSets()
    {
        var all = Enumerable.Range(0, 1500).Select(i => $"/tmp/data/f{i:D4}").ToList();
        var trace = Trace([.. all.Take(1000)]) with { Capped = true, DataReadAll = all.ToHashSet(StringComparer.Ordinal) };
        var witness = Saw([.. all.Take(1000)]) with { DataReadAll = all.Append("/tmp/data/hidden").ToHashSet(StringComparer.Ordinal), Capped = true };

        Assert.Equal(["/tmp/data/hidden"], WitnessVerdict.Unexplained(trace, witness));
    }

    [Fact]
    public void Unexplained_TraceListCutWithoutItsFullSet_ComparesNothing()
    {
        var cut = Enumerable.Range(0, TraceSummaryBuilder.MaxEntries).Select(i => $"/tmp/data/f{i:D4}").ToList();

        Assert.Empty(WitnessVerdict.Unexplained(Trace([.. cut]) with { Capped = true }, Saw("/tmp/data/other")));
    }
}
