using DataExchangeTasker.Api.Store;

namespace DataExchangeTasker.IntegrationTests.Api;

/// <summary>The store's SQL where PostgreSQL differs from SQLite (the unit tests run the rest on SQLite).</summary>
[Collection(ApiCollection.Name)]
public sealed class PostgresTaskStoreTests(ApiFixture fixture)
{
    [Fact]
    public async Task MarkPublishedAsync_ClaimedDueTasks_AreQueuedAndNotClaimedAgain()
    {
        // Before: "WHERE task_id IN @TaskIds" became "IN $2" on PostgreSQL (Dapper passes lists to it as one array), a
        // syntax error: every published task stayed unpublished and was published again after each lease.
        await using var store = SqlTaskStore.Open(await fixture.Postgres.CreateDatabaseAsync("mark"));
        await store.MigrateAsync(CancellationToken.None);
        Assert.True(await store.CreateClientAsync(new ClientRow { ClientId = "c", Tier = "t", KeyHash = "h" }, CancellationToken.None));
        foreach (var id in new[] { "a", "b" })
        {
            var task = new TaskRow { TaskId = id, ClientTaskId = id, ClientId = "c", State = "scheduled", CodePath = "c", DataPath = "d", CreatedAt = 0, DueAt = 10 };
            Assert.Equal(SubmitOutcome.Created, await store.SubmitAsync(task, null, null, CancellationToken.None));
        }

        var claimed = await store.ClaimDueTasksAsync(now: 20, leaseUntil: 30, owner: "me", limit: 10, CancellationToken.None);
        Assert.Equal(["a", "b"], claimed.Select(t => t.TaskId).Order());

        await store.MarkPublishedAsync(["a", "b"], 21, CancellationToken.None);

        Assert.Empty(await store.ClaimDueTasksAsync(now: 40, leaseUntil: 50, owner: "me", limit: 10, CancellationToken.None));
        var a = await store.GetTaskAsync("a", CancellationToken.None);
        Assert.Equal("queued", a!.State);
        Assert.Equal(21, a.PublishedAt);
    }

    [Fact]
    public async Task ListTasksAsync_ByClientStateAndCursor_FiltersPagesAndOmitsTheDoneBodyUnlessAsked()
    {
        // The same statements as on SQLite; PostgreSQL types the absent state (NULL), the largest cursor and the
        // done-body switch itself.
        await using var store = SqlTaskStore.Open(await fixture.Postgres.CreateDatabaseAsync("list"));
        await store.MigrateAsync(CancellationToken.None);
        await DataExchangeTasker.Tests.Support.TaskListScenario.RunAsync(store);
    }

    [Fact]
    public async Task MigrateAsync_ManyApiProcessesStartingTogetherOnAFreshDatabase_EachSucceedsAndTheSchemaIsAppliedOnce()
    {
        // Before: each ran CREATE TABLE IF NOT EXISTS schema_migrations before taking the migration lock, and PostgreSQL
        // does not make two such statements safe when they overlap ("type schema_migrations already exists", 42710): one
        // of two api processes started together on a new database failed at its start (seen once in an api test).
        var connection = await fixture.Postgres.CreateDatabaseAsync("migrate");
        var stores = Enumerable.Range(0, 8).Select(_ => SqlTaskStore.Open(connection)).ToList();
        try
        {
            var applied = await Task.WhenAll(stores.Select(s => Task.Run(() => s.MigrateAsync(CancellationToken.None))));

            Assert.Single(applied, a => a > 0);
            Assert.Equal(7, applied.Count(a => a == 0));
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }
}
