using DataExchangeTasker.Api.Store;
using Xunit;

namespace DataExchangeTasker.Tests.Support;

/// <summary>
/// The task list's filters and paging against a store (one statement per client filter, the rest as parameters: see
/// <c>SqlTaskStore.ListTasksAsync</c>). Shared by the SQLite unit test and the PostgreSQL integration test (linked
/// there), so both stores answer the same questions the same way.
/// </summary>
internal static class TaskListScenario
{
    /// <summary>Submits four tasks (c1, c2, c3 of client c, c2 answered; d1 of client d) and checks every filter.</summary>
    public static async Task RunAsync(SqlTaskStore store)
    {
        foreach (var client in new[] { "c", "d" })
        {
            await store.CreateClientAsync(new ClientRow { ClientId = client, Tier = "t", KeyHash = "h-" + client }, CancellationToken.None);
        }

        foreach (var (id, client) in new[] { ("c1", "c"), ("c2", "c"), ("c3", "c"), ("d1", "d") })
        {
            var task = new TaskRow { TaskId = id, ClientTaskId = id, ClientId = client, State = "queued", CodePath = "a", DataPath = "b", CreatedAt = 0, DueAt = 0 };
            Assert.Equal(SubmitOutcome.Created, await store.SubmitAsync(task, null, null, CancellationToken.None));
        }

        Assert.Equal(DoneOutcome.Stored, await store.RecordDoneAsync(new DoneRecord("c2", "d", "success", null, 5, null, 100, "{\"taskId\":\"c2\"}"), CancellationToken.None));

        async Task<TaskRow[]> List(string? client, string? state, long? before, int limit = 10, bool withDone = false) =>
            [.. await store.ListTasksAsync(new TaskQuery(client, state, before, limit, withDone), CancellationToken.None)];
        static string[] Ids(TaskRow[] rows) => [.. rows.Select(r => r.TaskId)];

        Assert.Equal(["d1", "c3", "c2", "c1"], Ids(await List(null, null, null)));
        Assert.Equal(["c3", "c2", "c1"], Ids(await List("c", null, null)));
        Assert.Equal(["d1", "c3", "c1"], Ids(await List(null, "queued", null)));
        var answered = Assert.Single(await List("c", "success", null));
        Assert.Equal(("c2", null), (answered.TaskId, answered.DoneBody));
        Assert.Equal("{\"taskId\":\"c2\"}", Assert.Single(await List("c", "success", null, withDone: true)).DoneBody);
        Assert.Empty(await List("d", "success", null));

        // Pages of two, newest first, each continuing below the last seq it showed.
        var first = await List("c", null, null, limit: 2);
        Assert.Equal(["c3", "c2"], Ids(first));
        Assert.Equal(["c1"], Ids(await List("c", null, first[^1].Seq, limit: 2)));
        var all = await List(null, null, null, limit: 3);
        Assert.Equal(["c1"], Ids(await List(null, null, all[^1].Seq, limit: 3)));
        Assert.Equal(["c1"], Ids(await List(null, "queued", all[^1].Seq)));
    }
}
