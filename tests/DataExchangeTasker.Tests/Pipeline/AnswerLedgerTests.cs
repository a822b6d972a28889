using System.Security.Cryptography;
using DataExchangeTasker.Pipeline;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Pipeline;

public sealed class AnswerLedgerTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void HasAnswered_RecordedBody_TrueAlsoForANewInstanceAndFalseForAnotherBody()
    {
        var digest = Convert.ToHexStringLower(SHA256.HashData("{\"taskId\":\"a\"}"u8));
        new AnswerLedger(_temp.Path).Record("tasker-a", digest);

        var reopened = new AnswerLedger(_temp.Path);

        Assert.True(reopened.HasAnswered("tasker-a", digest));
        Assert.False(reopened.HasAnswered("tasker-a", Convert.ToHexStringLower(SHA256.HashData("{\"taskId\":\"a\",\"x\":1}"u8))));
        Assert.False(reopened.HasAnswered("tasker-b", digest));
    }

    [Fact]
    public void Record_TwoBodiesOfOneTask_RemembersBoth()
    {
        var ledger = new AnswerLedger(_temp.Path);
        ledger.Record("tasker-a", "one");
        ledger.Record("tasker-a", "two");

        var reopened = new AnswerLedger(_temp.Path);

        Assert.True(reopened.HasAnswered("tasker-a", "one"));
        Assert.True(reopened.HasAnswered("tasker-a", "two"));
    }

    [Fact]
    public void Record_FolderIsOwnerOnly()
    {
        var ledger = new AnswerLedger(_temp.Path);

        ledger.Record("tasker-a", "one");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(ledger.Folder));
    }

    [Fact]
    public void Record_DiskFails_ThrowsButRemembersInMemory()
    {
        _temp.CreateFolder("answered/tasker-a");
        var ledger = new AnswerLedger(_temp.Path);

        Assert.ThrowsAny<IOException>(() => ledger.Record("tasker-a", "one"));

        Assert.True(ledger.HasAnswered("tasker-a", "one"));
    }

    [Fact]
    public void Expire_OlderThanRetention_ForgetsInMemoryAndOnDisk()
    {
        var time = new ManualClock(DateTimeOffset.UtcNow);
        var ledger = new AnswerLedger(_temp.Path, time) { Retention = TimeSpan.FromHours(1) };
        ledger.Record("tasker-a", "one");
        File.SetLastWriteTimeUtc(Path.Combine(ledger.Folder, "tasker-a"), DateTime.UtcNow.AddHours(-2));
        time.Advance(TimeSpan.FromHours(2));

        Assert.Equal(1, ledger.Expire());

        Assert.False(ledger.HasAnswered("tasker-a", "one"));
    }
}
