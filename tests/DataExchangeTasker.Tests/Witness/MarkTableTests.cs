using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Witness;

namespace DataExchangeTasker.Tests.Witness;

public sealed class MarkTableTests
{
    private sealed class RecordingTarget : IMarkTarget
    {
        public List<string> Calls { get; } = [];

        public HashSet<string> Refuse { get; } = [];

        public int Mark(string path, bool folder)
        {
            Calls.Add("mark " + path);
            return Refuse.Contains(path) ? 28 : 0;
        }

        public int Unmark(string path, bool folder)
        {
            Calls.Add("unmark " + path);
            return 0;
        }

        public int Flush()
        {
            Calls.Add("flush");
            return 0;
        }
    }

    private readonly RecordingTarget _target = new();

    private static MarkedObject Folder(string path, ulong inode) => new(path, true, new FileIdentity(1, inode));

    [Fact]
    public void Acquire_TwoTasksOnTheSameFolder_MarkOnceAndRemoveAfterTheLast()
    {
        var table = new MarkTable(_target);
        var first = table.Acquire([Folder("/d", 1), Folder("/d/sub", 2)]);
        var second = table.Acquire([Folder("/d", 1)]);

        first.Release();
        Assert.Equal(["mark /d", "mark /d/sub", "unmark /d/sub"], _target.Calls);
        Assert.Equal(1, table.Count);

        second.Release();
        Assert.Equal(["mark /d", "mark /d/sub", "unmark /d/sub", "unmark /d", "flush"], _target.Calls);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Acquire_SameInodeByAnotherPath_IsOneMark()
    {
        var table = new MarkTable(_target);

        var marks = table.Acquire([Folder("/d", 1), Folder("/bind/of/d", 1)]);

        Assert.Equal(["mark /d"], _target.Calls);
        marks.Release();
        Assert.Equal(["mark /d", "unmark /d", "flush"], _target.Calls);
    }

    [Fact]
    public void Acquire_MarkRefused_ReportsItAndHoldsOnlyTheRest()
    {
        _target.Refuse.Add("/d/sub");
        var table = new MarkTable(_target);

        var marks = table.Acquire([Folder("/d", 1), Folder("/d/sub", 2)]);

        Assert.Equal(["/d/sub (errno 28)"], marks.Failures);
        Assert.Equal(["/d"], marks.Objects.Select(o => o.Path));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Release_Twice_GivesBackOnce()
    {
        var table = new MarkTable(_target);
        var other = table.Acquire([Folder("/d", 1)]);
        var marks = table.Acquire([Folder("/d", 1)]);

        marks.Release();
        marks.Release();

        Assert.Equal(1, table.Count);
        other.Release();
        Assert.Equal(0, table.Count);
    }
}
