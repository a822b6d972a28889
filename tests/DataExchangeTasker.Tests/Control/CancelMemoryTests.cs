using DataExchangeTasker.Control;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Control;

public sealed class CancelMemoryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cancel-memory-").FullName;

    [Fact]
    public void Contains_AfterRememberAndReload_IsTrue()
    {
        new CancelMemory(_root, TimeSpan.FromHours(1)).Remember("task-1");

        var reloaded = new CancelMemory(_root, TimeSpan.FromHours(1));

        Assert.True(reloaded.Contains("task-1"));
        Assert.False(reloaded.Contains("task-2"));
    }

    [Fact]
    public void Contains_PastTheMemoryWindow_IsFalseAndReloadDropsIt()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-11-22T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var memory = new CancelMemory(_root, TimeSpan.FromMinutes(10), clock);
        memory.Remember("old");
        clock.Advance(TimeSpan.FromMinutes(11));

        Assert.False(memory.Contains("old"));
        _ = new CancelMemory(_root, TimeSpan.FromMinutes(10), clock);
        Assert.DoesNotContain("old", File.ReadAllText(Path.Combine(_root, "cancels.log")), StringComparison.Ordinal);
    }

    [Fact]
    public void Remember_TaskIdWithLineBreak_DoesNotForgeASecondEntry()
    {
        new CancelMemory(_root, TimeSpan.FromHours(1)).Remember("a\n0 forged");

        Assert.False(new CancelMemory(_root, TimeSpan.FromHours(1)).Contains("forged"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
