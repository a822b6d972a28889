using System.Data.Common;
using System.Security.Cryptography;
using Dapper;

namespace DataExchangeTasker.Api.Store;

/// <summary>
/// <see cref="ITaskStore"/> in plain SQL (through Dapper) that runs unchanged on SQLite and PostgreSQL; the few
/// differences live in <see cref="IStoreDialect"/>. Exactly-once effects across api processes come from single
/// conditional statements (leases, ON CONFLICT), not from locks held in memory.
/// </summary>
public sealed class SqlTaskStore : ITaskStore
{
    private const string TaskColumns =
        "seq, task_id, client_id, schedule_id, state, code_path, data_path, code_hash, limits_json, request_digest, submit_state, " +
        "created_at, due_at, published, published_at, started_at, finished_at, reason, duration_ms, progress_step, done_body, done_count";

    private readonly IStoreDialect _dialect;

    static SqlTaskStore() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    public SqlTaskStore(IStoreDialect dialect) => _dialect = dialect;

    /// <summary>Opens the store <paramref name="database"/> names: a postgres:// URI, or else a SQLite file path.</summary>
    public static SqlTaskStore Open(string database) =>
        new(database.StartsWith("postgres://", StringComparison.Ordinal) || database.StartsWith("postgresql://", StringComparison.Ordinal)
            ? new PostgresDialect(database)
            : new SqliteDialect(database));

    public string Kind => _dialect.Kind;

    public Task<int> MigrateAsync(CancellationToken cancellationToken) => RunAsync(async c =>
    {
        await c.ExecuteAsync(Cmd("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)", null, null, cancellationToken)).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (_dialect.MigrationLockSql is { } lockSql)
        {
            await c.ExecuteAsync(Cmd(lockSql, null, tx, cancellationToken)).ConfigureAwait(false);
        }

        var current = await c.ExecuteScalarAsync<long?>(Cmd("SELECT MAX(version) FROM schema_migrations", null, tx, cancellationToken)).ConfigureAwait(false) ?? 0;
        var applied = 0;
        foreach (var (version, statements) in StoreMigrations.For(_dialect).Where(m => m.Version > current))
        {
            foreach (var sql in statements)
            {
                await c.ExecuteAsync(Cmd(sql, null, tx, cancellationToken)).ConfigureAwait(false);
            }

            await c.ExecuteAsync(Cmd("INSERT INTO schema_migrations (version, applied_at) VALUES (@Version, @Now)",
                new { Version = version, Now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, tx, cancellationToken)).ConfigureAwait(false);
            applied++;
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return applied;
    }, cancellationToken);

    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(async c => await c.ExecuteScalarAsync<long>(Cmd("SELECT 1", null, null, cancellationToken)).ConfigureAwait(false) == 1, cancellationToken, write: false).ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            return false;
        }
    }

    public Task<bool> CreateClientAsync(ClientRow client, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.ExecuteAsync(Cmd(
            "INSERT INTO clients (client_id, tier, key_hash, enabled, created_at) VALUES (@ClientId, @Tier, @KeyHash, @Enabled, @CreatedAt) ON CONFLICT DO NOTHING",
            client, null, cancellationToken)).ConfigureAwait(false) == 1, cancellationToken);

    public Task<ClientRow?> UpdateClientAsync(string clientId, string? tier, bool? enabled, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.QuerySingleOrDefaultAsync<ClientRow>(Cmd(
            "UPDATE clients SET tier = COALESCE(@Tier, tier), enabled = COALESCE(@Enabled, enabled) WHERE client_id = @ClientId " +
            "RETURNING client_id, tier, key_hash, enabled, created_at",
            new { ClientId = clientId, Tier = tier, Enabled = enabled is null ? (long?)null : enabled.Value ? 1 : 0 }, null, cancellationToken)).ConfigureAwait(false),
        cancellationToken);

    public Task<IReadOnlyList<ClientRow>> ListClientsAsync(CancellationToken cancellationToken) => RunAsync(async c =>
        (IReadOnlyList<ClientRow>)(await c.QueryAsync<ClientRow>(Cmd(
            "SELECT client_id, tier, key_hash, enabled, created_at FROM clients ORDER BY client_id", null, null, cancellationToken)).ConfigureAwait(false)).AsList(),
        cancellationToken, write: false);

    public Task<ClientRow?> FindClientByKeyHashAsync(string keyHash, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.QuerySingleOrDefaultAsync<ClientRow>(Cmd(
            "SELECT client_id, tier, key_hash, enabled, created_at FROM clients WHERE key_hash = @KeyHash", new { KeyHash = keyHash }, null, cancellationToken)).ConfigureAwait(false),
        cancellationToken, write: false);

    public Task<long> CountRequestAsync(string clientId, long windowStart, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.ExecuteScalarAsync<long>(Cmd(
            "INSERT INTO rate_windows (client_id, window_start, hits) VALUES (@ClientId, @WindowStart, 1) " +
            "ON CONFLICT (client_id, window_start) DO UPDATE SET hits = rate_windows.hits + 1 RETURNING hits",
            new { ClientId = clientId, WindowStart = windowStart }, null, cancellationToken)).ConfigureAwait(false),
        cancellationToken);

    public Task<SubmitOutcome> SubmitAsync(TaskRow task, int? concurrentLimit, CancellationToken cancellationToken) => RunAsync(async c =>
    {
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (concurrentLimit is { } limit && task.ClientId is not null)
        {
            if (_dialect.ClientLockSql is { } lockSql)
            {
                await c.ExecuteAsync(Cmd(lockSql, new { task.ClientId }, tx, cancellationToken)).ConfigureAwait(false);
            }

            var unfinished = await c.ExecuteScalarAsync<long>(Cmd(
                "SELECT COUNT(*) FROM tasks WHERE client_id = @ClientId AND finished_at IS NULL", new { task.ClientId }, tx, cancellationToken)).ConfigureAwait(false);
            if (unfinished >= limit)
            {
                var exists = await c.ExecuteScalarAsync<long?>(Cmd("SELECT 1 FROM tasks WHERE task_id = @TaskId", new { task.TaskId }, tx, cancellationToken)).ConfigureAwait(false);
                return exists is null ? SubmitOutcome.OverConcurrency : SubmitOutcome.Exists;
            }
        }

        var inserted = await InsertTaskAsync(c, task, tx, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return inserted ? SubmitOutcome.Created : SubmitOutcome.Exists;
    }, cancellationToken);

    public Task<TaskRow?> GetTaskAsync(string taskId, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.QuerySingleOrDefaultAsync<TaskRow>(Cmd($"SELECT {TaskColumns} FROM tasks WHERE task_id = @TaskId", new { TaskId = taskId }, null, cancellationToken)).ConfigureAwait(false),
        cancellationToken, write: false);

    public Task<IReadOnlyList<TaskRow>> ListTasksAsync(TaskQuery query, CancellationToken cancellationToken) => RunAsync(async c =>
    {
        var where = new List<string>();
        if (query.ClientId is not null)
        {
            where.Add("client_id = @ClientId");
        }

        if (query.State is not null)
        {
            where.Add("state = @State");
        }

        if (query.BeforeSeq is not null)
        {
            where.Add("seq < @BeforeSeq");
        }

        // The list leaves out the done body (traces can be large); GET /v1/tasks/{id} has it.
        var columns = TaskColumns.Replace("done_body", "NULL AS done_body", StringComparison.Ordinal);
        var sql = $"SELECT {columns} FROM tasks {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY seq DESC LIMIT @Limit";
        return (IReadOnlyList<TaskRow>)(await c.QueryAsync<TaskRow>(Cmd(sql, query, null, cancellationToken)).ConfigureAwait(false)).AsList();
    }, cancellationToken, write: false);

    public Task MarkPublishedAsync(string taskId, long now, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.ExecuteAsync(Cmd(
            "UPDATE tasks SET published = 1, published_at = @Now, lease_until = 0, lease_owner = NULL, " +
            "state = CASE WHEN state = 'scheduled' THEN 'queued' ELSE state END WHERE task_id = @TaskId",
            new { TaskId = taskId, Now = now }, null, cancellationToken)).ConfigureAwait(false), cancellationToken);

    public Task<IReadOnlyList<TaskRow>> ClaimDueTasksAsync(long now, long leaseUntil, string owner, int limit, CancellationToken cancellationToken) => RunAsync(async c =>
        (IReadOnlyList<TaskRow>)(await c.QueryAsync<TaskRow>(Cmd(
            "UPDATE tasks SET lease_until = @LeaseUntil, lease_owner = @Owner " +
            "WHERE seq IN (SELECT seq FROM tasks WHERE published = 0 AND finished_at IS NULL AND due_at <= @Now AND lease_until < @Now ORDER BY due_at LIMIT @Limit) " +
            $"AND published = 0 AND finished_at IS NULL AND lease_until < @Now RETURNING {TaskColumns}",
            new { Now = now, LeaseUntil = leaseUntil, Owner = owner, Limit = limit }, null, cancellationToken)).ConfigureAwait(false)).AsList(),
        cancellationToken);

    public Task<bool> RecordDoneAsync(DoneRecord done, CancellationToken cancellationToken) => RunAsync(async c =>
    {
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var fresh = await c.ExecuteAsync(Cmd(
            "INSERT INTO done_messages (task_id, digest, received_at) VALUES (@TaskId, @Digest, @FinishedAt) ON CONFLICT DO NOTHING",
            done, tx, cancellationToken)).ConfigureAwait(false) == 1;
        if (!fresh)
        {
            return false;
        }

        // The first done message is the task's result; a later, different one (the task ran again elsewhere) is only counted.
        var finished = await c.ExecuteAsync(Cmd(
            "UPDATE tasks SET state = @State, reason = @Reason, duration_ms = @DurationMs, started_at = COALESCE(started_at, @StartedAt), " +
            "finished_at = @FinishedAt, done_body = @Body, done_count = done_count + 1, published = 1 WHERE task_id = @TaskId AND finished_at IS NULL",
            done, tx, cancellationToken)).ConfigureAwait(false);
        if (finished == 0 && await c.ExecuteAsync(Cmd("UPDATE tasks SET done_count = done_count + 1 WHERE task_id = @TaskId", done, tx, cancellationToken)).ConfigureAwait(false) == 0)
        {
            // A task submitted by another publisher: kept too (no client: only the admin sees it).
            await InsertTaskAsync(c, new TaskRow
            {
                TaskId = done.TaskId, State = done.State, Reason = done.Reason, DurationMs = done.DurationMs, StartedAt = done.StartedAt,
                CreatedAt = done.FinishedAt, DueAt = done.FinishedAt, Published = 1, FinishedAt = done.FinishedAt, DoneBody = done.Body, DoneCount = 1,
            }, tx, cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }, cancellationToken);

    public Task<bool> MarkRunningAsync(string taskId, string stepName, long at, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.ExecuteAsync(Cmd(
            "UPDATE tasks SET state = 'running', progress_step = @Step, started_at = COALESCE(started_at, @At) " +
            "WHERE task_id = @TaskId AND finished_at IS NULL AND state IN ('scheduled', 'queued', 'running')",
            new { TaskId = taskId, Step = stepName, At = at }, null, cancellationToken)).ConfigureAwait(false) == 1, cancellationToken);

    public Task<bool> CancelUnpublishedAsync(string taskId, long now, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.ExecuteAsync(Cmd(
            "UPDATE tasks SET state = 'error', reason = 'cancelled', finished_at = @Now WHERE task_id = @TaskId AND published = 0 AND finished_at IS NULL AND lease_until < @Now",
            new { TaskId = taskId, Now = now }, null, cancellationToken)).ConfigureAwait(false) == 1, cancellationToken);

    public Task CreateScheduleAsync(ScheduleRow schedule, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.ExecuteAsync(Cmd(
            "INSERT INTO schedules (schedule_id, client_id, code_path, data_path, code_hash, limits_json, every_seconds, cron, created_at, next_fire_at) " +
            "VALUES (@ScheduleId, @ClientId, @CodePath, @DataPath, @CodeHash, @LimitsJson, @EverySeconds, @Cron, @CreatedAt, @NextFireAt)",
            schedule, null, cancellationToken)).ConfigureAwait(false), cancellationToken);

    public Task<ScheduleRow?> GetScheduleAsync(string scheduleId, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.QuerySingleOrDefaultAsync<ScheduleRow>(Cmd(
            "SELECT schedule_id, client_id, code_path, data_path, code_hash, limits_json, every_seconds, cron, created_at, next_fire_at, fired_count, deleted " +
            "FROM schedules WHERE schedule_id = @ScheduleId", new { ScheduleId = scheduleId }, null, cancellationToken)).ConfigureAwait(false),
        cancellationToken, write: false);

    public Task<bool> DeleteScheduleAsync(string scheduleId, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.ExecuteAsync(Cmd("UPDATE schedules SET deleted = 1 WHERE schedule_id = @ScheduleId AND deleted = 0", new { ScheduleId = scheduleId }, null, cancellationToken)).ConfigureAwait(false) == 1,
        cancellationToken);

    public Task<IReadOnlyList<ScheduleRow>> ClaimDueSchedulesAsync(long now, long leaseUntil, string owner, CancellationToken cancellationToken) => RunAsync(async c =>
        (IReadOnlyList<ScheduleRow>)(await c.QueryAsync<ScheduleRow>(Cmd(
            "UPDATE schedules SET lease_until = @LeaseUntil, lease_owner = @Owner WHERE deleted = 0 AND next_fire_at <= @Now AND lease_until < @Now " +
            "RETURNING schedule_id, client_id, code_path, data_path, code_hash, limits_json, every_seconds, cron, created_at, next_fire_at, fired_count",
            new { Now = now, LeaseUntil = leaseUntil, Owner = owner }, null, cancellationToken)).ConfigureAwait(false)).AsList(),
        cancellationToken);

    public Task<bool> FireScheduleAsync(ScheduleRow schedule, TaskRow firing, long nextFireAt, string owner, CancellationToken cancellationToken) => RunAsync(async c =>
    {
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // Conditional on the period still being the one claimed: a process whose lease ran out and was taken over
        // changes nothing, so each period fires once even then.
        var advanced = await c.ExecuteAsync(Cmd(
            "UPDATE schedules SET next_fire_at = @Next, lease_until = 0, lease_owner = NULL, fired_count = fired_count + 1 " +
            "WHERE schedule_id = @ScheduleId AND lease_owner = @Owner AND next_fire_at = @Previous AND deleted = 0",
            new { Next = nextFireAt, schedule.ScheduleId, Owner = owner, Previous = schedule.NextFireAt }, tx, cancellationToken)).ConfigureAwait(false);
        if (advanced == 0)
        {
            return false;
        }

        await InsertTaskAsync(c, firing, tx, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }, cancellationToken);

    public Task<TaskRow?> LatestScheduleRunAsync(string scheduleId, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.QuerySingleOrDefaultAsync<TaskRow>(Cmd(
            $"SELECT {TaskColumns} FROM tasks WHERE schedule_id = @ScheduleId AND finished_at IS NOT NULL ORDER BY seq DESC LIMIT 1",
            new { ScheduleId = scheduleId }, null, cancellationToken)).ConfigureAwait(false),
        cancellationToken, write: false);

    public Task<IReadOnlyList<ClientTaskCount>> CountTasksAsync(CancellationToken cancellationToken) => RunAsync(async c =>
        (IReadOnlyList<ClientTaskCount>)(await c.QueryAsync<ClientTaskCount>(Cmd(
            "SELECT client_id, state, COUNT(*) AS tasks FROM tasks GROUP BY client_id, state", null, null, cancellationToken)).ConfigureAwait(false)).AsList(),
        cancellationToken, write: false);

    public Task<string> GetOrCreateSecretAsync(CancellationToken cancellationToken) => RunAsync(async c =>
    {
        await c.ExecuteAsync(Cmd("INSERT INTO meta (meta_key, meta_value) VALUES ('view_secret', @Value) ON CONFLICT DO NOTHING",
            new { Value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) }, null, cancellationToken)).ConfigureAwait(false);
        return await c.ExecuteScalarAsync<string>(Cmd("SELECT meta_value FROM meta WHERE meta_key = 'view_secret'", null, null, cancellationToken)).ConfigureAwait(false)
            ?? throw new InvalidOperationException("view secret missing after insert");
    }, cancellationToken);

    public Task PruneAsync(long now, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.ExecuteAsync(Cmd("DELETE FROM rate_windows WHERE window_start < @Before", new { Before = now - 120_000 }, null, cancellationToken)).ConfigureAwait(false),
        cancellationToken);

    public ValueTask DisposeAsync() => _dialect.DisposeAsync();

    private static async Task<bool> InsertTaskAsync(DbConnection c, TaskRow task, DbTransaction tx, CancellationToken cancellationToken) =>
        await c.ExecuteAsync(Cmd(
            "INSERT INTO tasks (task_id, client_id, schedule_id, state, code_path, data_path, code_hash, limits_json, request_digest, submit_state, " +
            "created_at, due_at, published, published_at, lease_until, lease_owner, started_at, finished_at, reason, duration_ms, done_body, done_count) " +
            "VALUES (@TaskId, @ClientId, @ScheduleId, @State, @CodePath, @DataPath, @CodeHash, @LimitsJson, @RequestDigest, @SubmitState, " +
            "@CreatedAt, @DueAt, @Published, @PublishedAt, @LeaseUntil, @LeaseOwner, @StartedAt, @FinishedAt, @Reason, @DurationMs, @DoneBody, @DoneCount) " +
            "ON CONFLICT (task_id) DO NOTHING",
            new
            {
                task.TaskId, task.ClientId, task.ScheduleId, task.State, task.CodePath, task.DataPath, task.CodeHash, task.LimitsJson, task.RequestDigest,
                task.SubmitState, task.CreatedAt, task.DueAt, task.Published, task.PublishedAt, task.LeaseUntil,
                LeaseOwner = (string?)null, task.StartedAt, task.FinishedAt, task.Reason, task.DurationMs, task.DoneBody, task.DoneCount,
            }, tx, cancellationToken)).ConfigureAwait(false) == 1;

    private static CommandDefinition Cmd(string sql, object? parameters, DbTransaction? tx, CancellationToken cancellationToken) =>
        new(sql, parameters, tx, cancellationToken: cancellationToken);

    private async Task<T> RunAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken, bool write = true)
    {
        var gate = write ? _dialect.WriteGate : null;
        if (gate is not null)
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await using var connection = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
            return await work(connection).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DbException or TimeoutException or IOException)
        {
            throw new StoreUnavailableException($"The {_dialect.Kind} task store failed: {e.Message}", e);
        }
        finally
        {
            gate?.Release();
        }
    }

    private async Task RunAsync(Func<DbConnection, Task> work, CancellationToken cancellationToken) =>
        await RunAsync(async c =>
        {
            await work(c).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
}
