using DataExchangeTasker.Governance.Trace;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Witness;

namespace DataExchangeTasker.Tests.Witness;

public sealed class WatchedTaskTests
{
    private readonly WatchedTask _task = new(new string('a', 64), "/tmp/data/demo");

    [Fact]
    public void Summary_ManyFiles_SortedCutAtTheListCapButAllKeptForComparing()
    {
        for (var i = 1500; i > 0; i--)
        {
            _task.Add($"/tmp/data/demo/{i:D5}.csv");
        }

        var summary = _task.Summary(standsIn: false);

        Assert.Equal(TraceSummaryBuilder.MaxEntries, summary.DataRead!.Count);
        Assert.Equal("/tmp/data/demo/00001.csv", summary.DataRead[0]);
        Assert.True(summary.Capped);
        Assert.Equal(1500, summary.DataReadAll!.Count);
    }

    [Fact]
    public void Add_SameFileAMillionTimes_OneEntryNotCapped()
    {
        for (var i = 0; i < 1_000_000; i++)
        {
            _task.Add("/tmp/data/demo/a.csv");
        }

        var summary = _task.Summary(standsIn: false);

        Assert.Equal(["/tmp/data/demo/a.csv"], summary.DataRead);
        Assert.False(summary.Capped);
    }

    [Fact]
    public void Add_PastMaxPaths_KeepsTheCapAndSaysCapped()
    {
        for (var i = 0; i < WatchedTask.MaxPaths + 5; i++)
        {
            _task.Add("/tmp/data/demo/" + i);
        }

        var summary = _task.Summary(standsIn: false);

        Assert.Equal(WatchedTask.MaxPaths, summary.DataReadAll!.Count);
        Assert.True(summary.Capped);
    }

    [Theory]
    [InlineData("/tmp/data/demo", true)]
    [InlineData("/tmp/data/demo/a.csv", true)]
    [InlineData("/tmp/data/demo2/a.csv", false)]
    [InlineData("/tmp/data", false)]
    [InlineData("/tmp/data/dem", false)]
    public void Covers_PathsInAndBesideTheData(string path, bool covered)
    {
        Assert.Equal(covered, _task.Covers(path));
    }

    [Fact]
    public void Summary_PartlyMarked_SaysCappedAndStandsInAsGiven()
    {
        var task = new WatchedTask(new string('a', 64), "/tmp/data/demo") { PartlyMarked = true };

        var summary = task.Summary(standsIn: true);

        Assert.Equal((true, true, WitnessSummary.Fanotify), (summary.Capped, summary.StandsIn, summary.Method));
    }
}
