using DataExchangeTasker.Governance.Approvals;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Governance.Approvals;

public sealed class ApprovalListTests : IDisposable
{
    private static readonly string HashA = new('a', 64);
    private static readonly string HashB = new('b', 64);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Check_ListedHashWithCommentsAndLabels_Approved()
    {
        var file = _temp.WriteFile("approved.txt", $"# approved code\n\n{HashA}  fortune demo (J. Doe)\n{HashB.ToUpperInvariant()}\n");
        var list = new ApprovalList(file);

        Assert.True(list.Check(HashA).Approved);
        Assert.True(list.Check(HashB).Approved);
        Assert.False(list.Check(new string('c', 64)).Approved);
    }

    [Fact]
    public async Task Check_HashAddedWhileRunning_ApprovedWithoutRestart()
    {
        var file = _temp.WriteFile("approved.txt", $"{HashA}\n");
        var list = new ApprovalList(file);
        Assert.False(list.Check(HashB).Approved);

        Assert.True(await ApprovalFile.AppendAsync(file, HashB, "added later", CancellationToken.None));

        Assert.True(list.Check(HashB).Approved);
    }

    [Fact]
    public void Check_FileReplacedByRename_NewContentUsed()
    {
        var file = _temp.WriteFile("approved.txt", $"{HashA}\n");
        var list = new ApprovalList(file);
        Assert.True(list.Check(HashA).Approved);

        File.Move(_temp.WriteFile("new.txt", $"{HashB}\n"), file, overwrite: true);

        Assert.False(list.Check(HashA).Approved);
        Assert.True(list.Check(HashB).Approved);
    }

    [Fact]
    public void Check_MissingFile_RejectsEverythingSayingWhy()
    {
        var list = new ApprovalList(_temp.Combine("absent.txt"));

        var decision = list.Check(HashA);

        Assert.False(decision.Approved);
        Assert.Contains("does not exist", decision.Message, StringComparison.Ordinal);
        Assert.Contains("TASKER_APPROVALS_FILE", decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_MalformedLine_RejectsEverythingNamingTheLine()
    {
        var file = _temp.WriteFile("approved.txt", $"{HashA}\nnot-a-hash label\n");

        var decision = new ApprovalList(file).Check(HashA);

        Assert.False(decision.Approved);
        Assert.Contains("line 2", decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppendAsync_SameHashTwice_WrittenOnce()
    {
        var file = _temp.Combine("sub-approved.txt");

        Assert.True(await ApprovalFile.AppendAsync(file, HashA, "first", CancellationToken.None));
        Assert.False(await ApprovalFile.AppendAsync(file, HashA.ToUpperInvariant(), "again", CancellationToken.None));

        Assert.Equal($"{HashA} first\n", await File.ReadAllTextAsync(file));
    }

    [Fact]
    public async Task PrepareAsync_UnlistedCode_RejectedNotApprovedThenRunsOnceApproved()
    {
        var options = TestOptions.Sandbox(_temp.CreateFolder("code"), _temp.CreateFolder("data"), _temp.Combine("work"));
        var code = _temp.WriteFile("code/job/run.py", "print(1)\n");
        _temp.WriteFile("data/d.csv", "x\n");
        var approvals = _temp.WriteFile("approved.txt", "# nothing yet\n");
        var preparer = new TaskPreparer(options, new ApprovalList(approvals));
        var message = new StartMessage("t1", "job", "d.csv");

        var (task, rejection) = await preparer.PrepareAsync(message, CancellationToken.None);
        Assert.Null(task);
        Assert.Equal(Reasons.NotApproved, rejection!.Reason);

        var hash = await CodeHasher.HashAsync(Path.GetDirectoryName(code)!, CancellationToken.None);
        await ApprovalFile.AppendAsync(approvals, hash, null, CancellationToken.None);

        (task, rejection) = await preparer.PrepareAsync(message, CancellationToken.None);
        Assert.Null(rejection);
        Assert.NotNull(task);
    }
}
