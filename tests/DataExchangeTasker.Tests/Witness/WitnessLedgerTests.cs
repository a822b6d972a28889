using DataExchangeTasker.Witness;

namespace DataExchangeTasker.Tests.Witness;

public sealed class WitnessLedgerTests
{
    private const string IdA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string IdB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    private const string Data = "/tmp/data/demo";

    private readonly WitnessLedger _ledger = new();
    private readonly WatchedTask _a = new(IdA, Data);
    private readonly WatchedTask _b = new(IdB, Data);

    public WitnessLedgerTests()
    {
        _ledger.Watch(_a);
        _ledger.Watch(_b);
    }

    private static WitnessedOpen Code(ulong mount, string file, string container) => new(mount, $"{Data}/{file}", new Opener(OpenerKind.Container, container, false));

    private static WitnessedOpen Gone(ulong mount, string file) => new(mount, $"{Data}/{file}", Opener.Gone);

    private static IReadOnlyList<string>? Listed(WatchedTask task) => task.Summary(standsIn: false).DataRead;

    [Fact]
    public void Apply_OpenByAContainerProcess_CountsForThatTaskOnly()
    {
        _ledger.Apply(Code(10, "a.csv", IdA));
        _ledger.Apply(Code(11, "b.csv", IdB));

        Assert.Equal([$"{Data}/a.csv"], Listed(_a));
        Assert.Equal([$"{Data}/b.csv"], Listed(_b));
    }

    [Fact]
    public void Apply_GoneProcessThroughAMountFoundEarlier_CountsForItsTask()
    {
        _ledger.MountFound(_a, 10);
        _ledger.MountFound(_b, 11);

        _ledger.Apply(Gone(11, "b.csv"));

        Assert.Empty(Listed(_a)!);
        Assert.Equal([$"{Data}/b.csv"], Listed(_b));
        Assert.Equal(0, _b.Summary(false).Unattributed);
    }

    [Fact]
    public void Apply_ContainerProcess_TeachesItsMountForLaterGoneOpens()
    {
        _ledger.Apply(Code(10, "a.csv", IdA));
        _ledger.MountFound(_b, 11);

        _ledger.Apply(Gone(10, "late.csv"));

        Assert.Equal(10UL, _a.MountId);
        Assert.Equal([$"{Data}/a.csv", $"{Data}/late.csv"], Listed(_a));
        Assert.Empty(Listed(_b)!);
    }

    [Fact]
    public void Apply_GoneProcessBeforeItsMountIsFound_WaitsAndGoesToTheTaskWhoseMountItIs()
    {
        _ledger.Apply(Gone(11, "b.csv"));
        Assert.Empty(Listed(_a)!);
        Assert.Empty(Listed(_b)!);

        _ledger.MountFound(_a, 10);
        _ledger.MountFound(_b, 11);
        _ledger.Unwatch(_a);
        _ledger.Unwatch(_b);

        Assert.Empty(Listed(_a)!);
        Assert.Equal([$"{Data}/b.csv"], Listed(_b));
        Assert.Equal((0L, 0L), (_a.Summary(false).Unattributed, _b.Summary(false).Unattributed));
    }

    [Fact]
    public void Unwatch_TaskWhoseMountStayedUnknown_GetsTheWaitingOpensAsUnattributed()
    {
        _ledger.Apply(Gone(12, "who.csv"));
        _ledger.MountFound(_b, 11);

        _ledger.Unwatch(_a);
        _ledger.Unwatch(_b);

        // A cannot be ruled out (its mount is unknown): over-report, and say so. B used mount 11, not 12.
        Assert.Equal([$"{Data}/who.csv"], Listed(_a));
        Assert.Equal(1, _a.Summary(false).Unattributed);
        Assert.Empty(Listed(_b)!);
    }

    [Fact]
    public void Apply_GoneProcessWhileEveryTaskOnTheDataHasAnotherMount_IsNobodys()
    {
        _ledger.MountFound(_a, 10);
        _ledger.MountFound(_b, 11);

        _ledger.Apply(Gone(99, "host.csv"));
        _ledger.Unwatch(_a);

        Assert.Empty(Listed(_a)!);
    }

    [Fact]
    public void Apply_GoneProcessOutsideATasksData_IsNotItsCandidate()
    {
        var other = new WatchedTask(new string('c', 64), "/tmp/data/other");
        _ledger.Watch(other);

        _ledger.Apply(Gone(12, "x.csv"));
        _ledger.Unwatch(other);

        Assert.Empty(Listed(other)!);
    }

    [Fact]
    public void Apply_RootProcessOfTheContainer_IsARuntimeOpenNotListed()
    {
        _ledger.Apply(new WitnessedOpen(10, Data, new Opener(OpenerKind.Container, IdA, true)));

        var summary = _a.Summary(false);
        Assert.Empty(summary.DataRead!);
        Assert.Equal(1, summary.RuntimeOpens);
    }

    [Fact]
    public void Apply_HostProcessOrAnotherContainer_IsIgnored()
    {
        _ledger.Apply(new WitnessedOpen(5, $"{Data}/a.csv", new Opener(OpenerKind.Host, null, true)));
        _ledger.Apply(Code(6, "a.csv", new string('f', 64)));
        _ledger.Unwatch(_a);

        Assert.Empty(Listed(_a)!);
    }

    [Fact]
    public void Apply_LateEventOfAnEndedTask_IsNobodys()
    {
        _ledger.MountFound(_a, 10);
        _ledger.Unwatch(_a);

        _ledger.Apply(Gone(10, "late.csv"));
        _ledger.Unwatch(_b);

        Assert.Empty(Listed(_b)!);
    }

    [Fact]
    public void EventsLost_FlagsEveryTaskWatchedNow()
    {
        _ledger.Unwatch(_b);

        _ledger.EventsLost();

        Assert.True(_a.Summary(false).EventsLost);
        Assert.False(_b.Summary(false).EventsLost);
    }
}
