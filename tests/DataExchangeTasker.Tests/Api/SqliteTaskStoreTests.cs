using DataExchangeTasker.Api.Store;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Api;

/// <summary>The store's exactly-once rules on a SQLite file (the same SQL runs on PostgreSQL in the integration tests).</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xunit disposes the temp folder through IAsyncLifetime.DisposeAsync.")]
public sealed class SqliteTaskStoreTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private SqlTaskStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = SqlTaskStore.Open(Path.Combine(_dir.Path, "db", "t.db"));
        Assert.Equal(2, await _store.MigrateAsync(CancellationToken.None));
        foreach (var client in new[] { "c", "d" })
        {
            Assert.True(await _store.CreateClientAsync(new ClientRow { ClientId = client, Tier = "t", KeyHash = "h-" + client }, CancellationToken.None));
        }
    }

    private static readonly Func<string, TierLimits> OneAtATime = _ => new TierLimits(1000, 1);

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _dir.Dispose();
    }

    private static TaskRow Task(string id, string? client = "c", long due = 0) =>
        new() { TaskId = id, ClientTaskId = id, ClientId = client, State = "queued", CodePath = "a", DataPath = "b", CreatedAt = 0, DueAt = due };

    [Fact]
    public async Task ListTasksAsync_ByClientStateAndCursor_FiltersPagesAndOmitsTheDoneBodyUnlessAsked()
    {
        // Its own database: the scenario counts every task in the list.
        await using var store = SqlTaskStore.Open(Path.Combine(_dir.Path, "db", "list.db"));
        await store.MigrateAsync(CancellationToken.None);
        await TaskListScenario.RunAsync(store);
    }

    [Fact]
    public async Task MigrateAsync_SecondRun_AppliesNothing() => Assert.Equal(0, await _store.MigrateAsync(CancellationToken.None));

    [Fact]
    public async Task RecordDoneAsync_SameMessageTwice_StoredOnce()
    {
        await _store.SubmitAsync(Task("t1"), null, null, CancellationToken.None);
        var done = new DoneRecord("t1", "d1", "success", null, 5, null, 100, "{}");
        Assert.Equal(DoneOutcome.Stored, await _store.RecordDoneAsync(done, CancellationToken.None));
        Assert.Equal(DoneOutcome.Duplicate, await _store.RecordDoneAsync(done, CancellationToken.None));
        Assert.Equal(DoneOutcome.Stored, await _store.RecordDoneAsync(done with { Digest = "d2", State = "error" }, CancellationToken.None));
        var t = (await _store.GetTaskAsync("t1", CancellationToken.None))!;
        Assert.Equal(("success", 2L, 100L), (t.State, t.DoneCount, t.FinishedAt!.Value));
    }

    [Fact]
    public async Task RecordDoneAsync_UnknownTask_IsNotStored()
    {
        Assert.Equal(DoneOutcome.Unknown, await _store.RecordDoneAsync(new DoneRecord("other", "d", "rejected", "path_not_found", 0, null, 7, "{}"), CancellationToken.None));
        Assert.Null(await _store.GetTaskAsync("other", CancellationToken.None));
        Assert.Empty(await _store.ListTasksAsync(new TaskQuery(null, null, null, 10), CancellationToken.None));
    }

    [Fact]
    public async Task SubmitAsync_SameClientTaskIdForTwoClients_BothStored_SameClientTwice_Exists()
    {
        Assert.Equal(SubmitOutcome.Created, await _store.SubmitAsync(Task("c:x") with { ClientTaskId = "x" }, 5, null, CancellationToken.None));
        Assert.Equal(SubmitOutcome.Created, await _store.SubmitAsync(Task("d:x", client: "d") with { ClientTaskId = "x" }, 5, null, CancellationToken.None));
        Assert.Equal(SubmitOutcome.Exists, await _store.SubmitAsync(Task("c:x-again") with { ClientTaskId = "x" }, 5, null, CancellationToken.None));
        Assert.Equal("d:x", (await _store.GetClientTaskAsync("d", "x", false, CancellationToken.None))!.TaskId);
        Assert.Equal(1, (await _store.GetClientAsync("c", CancellationToken.None))!.Unfinished);
    }

    [Fact]
    public async Task MarkUnansweredAsync_PastLimitAndGrace_EndsNoAnswerAndFreesTheSlot_ALateAnswerReplacesTheMark()
    {
        await _store.SubmitAsync(Task("slow") with { TimeLimitMs = 1000 }, 1, null, CancellationToken.None);
        await _store.MarkPublishedAsync(["slow"], 100, CancellationToken.None);
        Assert.Empty(await _store.MarkUnansweredAsync(100 + 1000 + 500, 500, 60_000, CancellationToken.None));
        Assert.Equal(["slow"], (await _store.MarkUnansweredAsync(100 + 1000 + 501, 500, 60_000, CancellationToken.None)).Select(t => t.TaskId));
        var marked = (await _store.GetTaskAsync("slow", CancellationToken.None))!;
        Assert.Equal(("error", SkipReasons.NoAnswer), (marked.State, marked.Reason));
        Assert.Equal(0, (await _store.GetClientAsync("c", CancellationToken.None))!.Unfinished);
        Assert.Equal(SubmitOutcome.Created, await _store.SubmitAsync(Task("next"), 1, null, CancellationToken.None));

        Assert.Equal(DoneOutcome.Stored, await _store.RecordDoneAsync(new DoneRecord("slow", "late", "success", null, 5, null, 9000, "{\"taskId\":\"slow\"}"), CancellationToken.None));
        var answered = (await _store.GetTaskAsync("slow", CancellationToken.None))!;
        Assert.Equal(("success", (string?)null, 1L), (answered.State, answered.Reason, answered.DoneCount));
        // The slot was freed once: the late answer does not free another.
        Assert.Equal(1, (await _store.GetClientAsync("c", CancellationToken.None))!.Unfinished);
    }

    [Fact]
    public async Task FireScheduleAsync_ClientAtItsConcurrency_StoresASkippedRun()
    {
        await _store.SubmitAsync(Task("busy"), 1, null, CancellationToken.None);
        Assert.True(await _store.CreateScheduleAsync(new ScheduleRow { ScheduleId = "s", ClientId = "c", CodePath = "a", DataPath = "b", EverySeconds = 1, NextFireAt = 1000 }, 5, CancellationToken.None));
        var claimed = (await _store.ClaimDueSchedulesAsync(1000, 2000, "a", CancellationToken.None)).Single();
        var outcome = await _store.FireScheduleAsync(claimed, Task("s-1000") with { ScheduleId = "s", CreatedAt = 1000 }, 2000, "a", OneAtATime, CancellationToken.None);
        Assert.Equal(new FireOutcome(true, SkipReasons.ConcurrencyLimit), outcome);
        var run = (await _store.GetTaskAsync("s-1000", CancellationToken.None))!;
        Assert.Equal(("skipped", SkipReasons.ConcurrencyLimit, true), (run.State, run.Reason, run.FinishedAt is not null));
        Assert.Equal((0L, 1L), ((await _store.GetScheduleAsync("s", CancellationToken.None))!.FiredCount, (await _store.GetScheduleAsync("s", CancellationToken.None))!.SkippedCount));
        Assert.DoesNotContain(await _store.ClaimDueTasksAsync(5000, 6000, "a", 10, CancellationToken.None), t => t.TaskId == "s-1000");
    }

    [Fact]
    public async Task CreateScheduleAsync_AtThePerClientCap_IsRefused()
    {
        Assert.True(await _store.CreateScheduleAsync(new ScheduleRow { ScheduleId = "s1", ClientId = "c", CodePath = "a", DataPath = "b", EverySeconds = 60, NextFireAt = 1 }, 1, CancellationToken.None));
        Assert.False(await _store.CreateScheduleAsync(new ScheduleRow { ScheduleId = "s2", ClientId = "c", CodePath = "a", DataPath = "b", EverySeconds = 60, NextFireAt = 1 }, 1, CancellationToken.None));
        Assert.True(await _store.CreateScheduleAsync(new ScheduleRow { ScheduleId = "s3", ClientId = "d", CodePath = "a", DataPath = "b", EverySeconds = 60, NextFireAt = 1 }, 1, CancellationToken.None));
    }

    [Fact]
    public async Task SubmitAsync_AtConcurrencyLimit_RefusesUntilOneFinishes()
    {
        Assert.Equal(SubmitOutcome.Created, await _store.SubmitAsync(Task("a"), 1, null, CancellationToken.None));
        Assert.Equal(SubmitOutcome.OverConcurrency, await _store.SubmitAsync(Task("b"), 1, null, CancellationToken.None));
        Assert.Equal(SubmitOutcome.Exists, await _store.SubmitAsync(Task("a"), 1, null, CancellationToken.None));
        await _store.RecordDoneAsync(new DoneRecord("a", "d", "success", null, 1, null, 1, "{}"), CancellationToken.None);
        Assert.Equal(SubmitOutcome.Created, await _store.SubmitAsync(Task("b"), 1, null, CancellationToken.None));
    }

    [Fact]
    public async Task ClaimDueTasksAsync_TwoOwners_EachTaskClaimedOnceUntilTheLeaseEnds()
    {
        await _store.SubmitAsync(Task("due", due: 10), null, null, CancellationToken.None);
        await _store.SubmitAsync(Task("later", due: 1000), null, null, CancellationToken.None);
        Assert.Equal(["due"], (await _store.ClaimDueTasksAsync(20, 50, "a", 10, CancellationToken.None)).Select(t => t.TaskId));
        Assert.Empty(await _store.ClaimDueTasksAsync(21, 51, "b", 10, CancellationToken.None));
        Assert.Equal(["due"], (await _store.ClaimDueTasksAsync(60, 90, "b", 10, CancellationToken.None)).Select(t => t.TaskId));
        await _store.MarkPublishedAsync(["due"], 61, CancellationToken.None);
        Assert.Empty(await _store.ClaimDueTasksAsync(100, 130, "a", 10, CancellationToken.None));
    }

    [Fact]
    public async Task FireScheduleAsync_SamePeriodTwice_FiresOnce()
    {
        await _store.CreateScheduleAsync(new ScheduleRow { ScheduleId = "s", ClientId = "c", CodePath = "a", DataPath = "b", EverySeconds = 1, NextFireAt = 1000 }, 5, CancellationToken.None);
        var claimedA = (await _store.ClaimDueSchedulesAsync(1000, 2000, "a", CancellationToken.None)).Single();
        Assert.Empty(await _store.ClaimDueSchedulesAsync(1001, 2001, "b", CancellationToken.None));
        // b takes over after a's lease ran out, for the same period: only one of them moves it on.
        var claimedB = (await _store.ClaimDueSchedulesAsync(2500, 3500, "b", CancellationToken.None)).Single();
        Assert.True((await _store.FireScheduleAsync(claimedB, Task("s-1000"), 3000, "b", OneAtATime, CancellationToken.None)).Fired);
        Assert.False((await _store.FireScheduleAsync(claimedA, Task("s-1000"), 3000, "a", OneAtATime, CancellationToken.None)).Fired);
        Assert.Equal(1, (await _store.GetScheduleAsync("s", CancellationToken.None))!.FiredCount);
    }

    [Fact]
    public async Task SubmitAsync_OverTheRate_CountsTheRequestStoresNothing()
    {
        var rate = new RateCheck(60_000, 2);
        Assert.Equal(SubmitOutcome.Created, await _store.SubmitAsync(Task("r1"), 10, rate, CancellationToken.None));
        Assert.Equal(SubmitOutcome.Created, await _store.SubmitAsync(Task("r2"), 10, rate, CancellationToken.None));
        Assert.Equal(SubmitOutcome.OverRate, await _store.SubmitAsync(Task("r3"), 10, rate, CancellationToken.None));
        Assert.Null(await _store.GetTaskAsync("r3", CancellationToken.None));
        Assert.Equal(4, await _store.CountRequestAsync("c", 60_000, CancellationToken.None));
        Assert.Equal(SubmitOutcome.Created, await _store.SubmitAsync(Task("r3"), 10, new RateCheck(120_000, 2), CancellationToken.None));
    }

    [Fact]
    public async Task CountRequestAsync_SameWindow_CountsUp()
    {
        var first = await _store.CountRequestAsync("c", 0, CancellationToken.None);
        var second = await _store.CountRequestAsync("c", 0, CancellationToken.None);
        var nextMinute = await _store.CountRequestAsync("c", 60_000, CancellationToken.None);
        Assert.Equal((1L, 2L, 1L), (first, second, nextMinute));
    }

    [Fact]
    public async Task Open_NewPath_DatabaseWalAndShmAre0600_FolderIs0700()
    {
        // Issue 22, defect 4: the store holds the code's output on private data and key hashes.
        var folder = Path.Combine(_dir.Path, "private", "store");
        var path = Path.Combine(folder, "tasker.db");
        await using (var store = SqlTaskStore.Open(path))
        {
            await store.MigrateAsync(CancellationToken.None);
            await store.SubmitAsync(Task("p1"), null, null, CancellationToken.None);
            Assert.True(File.Exists(path + "-wal"), "WAL mode: the -wal file exists while the store is open");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path + "-wal"));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path + "-shm"));
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
    }

    [Fact]
    public async Task Open_ExistingWorldReadableFile_IsMade0600()
    {
        var path = Path.Combine(_dir.Path, "old", "tasker.db");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using (var first = SqlTaskStore.Open(path))
        {
            await first.MigrateAsync(CancellationToken.None);
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        await using var second = SqlTaskStore.Open(path);
        await second.MigrateAsync(CancellationToken.None);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }
}
