using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using Dapper;
using DataExchangeTasker.Configuration;

namespace DataExchangeTasker.Api.Store;

/// <summary>
/// <see cref="ITaskStore"/> in plain SQL (through Dapper) that runs unchanged on SQLite and PostgreSQL; the few
/// differences live in <see cref="IStoreDialect"/>. Exactly-once effects across api processes come from single
/// conditional statements (leases, ON CONFLICT), not from locks held in memory.
/// </summary>
/// <remarks>
/// Every Dapper call here is replaced at build time by Dapper.AOT's generated code (interceptors), so the store runs
/// under NativeAOT: no run-time IL emit. That needs the SQL, the parameters (an anonymous object whose
/// <see cref="CancellationToken"/> member, or the token itself, is the call's cancellation) and the transaction written
/// at the call site; a helper that builds a <see cref="CommandDefinition"/> hides them and leaves the call to
/// vanilla Dapper. Columns match members ignoring underscores and case (task_id: TaskId).
/// </remarks>
[DapperAot]
internal sealed class SqlTaskStore : ITaskStore
{
    private const string TaskColumnsBeforeDone =
        "seq, task_id, client_task_id, client_id, schedule_id, state, code_path, data_path, code_hash, limits_json, image, time_limit_ms, " +
        "request_digest, submit_state, created_at, due_at, published, published_at, started_at, finished_at, reason, duration_ms, progress_step, ";

    private const string TaskColumns = TaskColumnsBeforeDone + "done_body, done_count";

    private const string ScheduleColumns =
        "schedule_id, client_id, code_path, data_path, code_hash, limits_json, image, every_seconds, cron, created_at, next_fire_at, fired_count, skipped_count, deleted";

    private const string ClientColumns = "client_id, tier, key_hash, enabled, created_at, unfinished";

    private const string TaskListOrder = "ORDER BY seq DESC LIMIT @Limit";

    private const string ColumnsWithoutDone = TaskColumnsBeforeDone + "NULL AS done_body, done_count";

    private const string TaskColumnsDoneIfAsked = TaskColumnsBeforeDone + "CASE WHEN @WithDone = 1 THEN done_body END AS done_body, done_count";

    private readonly IStoreDialect _dialect;

    private readonly SubmitBatcher _submits;

    public SqlTaskStore(IStoreDialect dialect)
    {
        _dialect = dialect;
        _submits = new SubmitBatcher(SubmitBatchAsync);
    }

    /// <summary>Opens the store <paramref name="database"/> names: a postgres:// URI, or else a SQLite file path.</summary>
    public static SqlTaskStore Open(string database) =>
        new(database.StartsWith("postgres://", StringComparison.Ordinal) || database.StartsWith("postgresql://", StringComparison.Ordinal)
            ? new PostgresDialect(database)
            : new SqliteDialect(database));

    public string Kind => _dialect.Kind;

    public Task<int> MigrateAsync(CancellationToken cancellationToken) => RunAsync(async c =>
    {
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (_dialect.MigrationLockSql is { } lockSql)
        {
            await c.ExecuteAsync(lockSql, cancellationToken, tx).ConfigureAwait(false);
        }

        // Under the lock: PostgreSQL does not make two overlapping CREATE TABLE IF NOT EXISTS safe (one fails with
        // "type already exists"), so api processes starting together on a new database each created it in turn.
#pragma warning disable DAP018 // The only argument is the cancellation token, not a SQL parameter: Dapper.AOT 1.1.0 still reports it (fixed upstream, DapperAOT #201).
        await c.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)", cancellationToken, tx).ConfigureAwait(false);

        var current = await c.ExecuteScalarAsync<long?>("SELECT MAX(version) FROM schema_migrations", cancellationToken, tx).ConfigureAwait(false) ?? 0;
#pragma warning restore DAP018
        var applied = 0;
        foreach (var (version, statements) in StoreMigrations.For(_dialect).Where(m => m.Version > current))
        {
            foreach (var sql in statements)
            {
                await c.ExecuteAsync(sql, cancellationToken, tx).ConfigureAwait(false);
            }

            await c.ExecuteAsync("INSERT INTO schema_migrations (version, applied_at) VALUES (@Version, @Now)",
                new { Version = version, Now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), cancellationToken }, tx).ConfigureAwait(false);
            applied++;
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return applied;
    }, cancellationToken);

    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
#pragma warning disable DAP018 // The only argument is the cancellation token, not a SQL parameter: Dapper.AOT 1.1.0 still reports it (fixed upstream, DapperAOT #201).
            return await RunAsync(async c => await c.ExecuteScalarAsync<long>("SELECT 1", cancellationToken).ConfigureAwait(false) == 1, cancellationToken, write: false).ConfigureAwait(false);
#pragma warning restore DAP018
        }
        catch (StoreUnavailableException)
        {
            return false;
        }
    }

    public Task<bool> CreateClientAsync(ClientRow client, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.ExecuteAsync(
            "INSERT INTO clients (client_id, tier, key_hash, enabled, created_at) VALUES (@ClientId, @Tier, @KeyHash, @Enabled, @CreatedAt) ON CONFLICT DO NOTHING",
            new { client.ClientId, client.Tier, client.KeyHash, client.Enabled, client.CreatedAt, cancellationToken }).ConfigureAwait(false) == 1, cancellationToken);

    public Task<ClientRow?> UpdateClientAsync(string clientId, string? tier, bool? enabled, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.QuerySingleOrDefaultAsync<ClientRow>(
            "UPDATE clients SET tier = COALESCE(@Tier, tier), enabled = COALESCE(@Enabled, enabled) WHERE client_id = @ClientId " +
            $"RETURNING {ClientColumns}",
            new { ClientId = clientId, Tier = tier, Enabled = enabled is null ? (long?)null : enabled.Value ? 1 : 0, cancellationToken }).ConfigureAwait(false),
        cancellationToken);

    public Task<IReadOnlyList<ClientRow>> ListClientsAsync(CancellationToken cancellationToken) => RunAsync(async c =>
        (IReadOnlyList<ClientRow>)(await c.QueryAsync<ClientRow>(
#pragma warning disable DAP018 // The only argument is the cancellation token, not a SQL parameter: Dapper.AOT 1.1.0 still reports it (fixed upstream, DapperAOT #201).
            $"SELECT {ClientColumns} FROM clients ORDER BY client_id", cancellationToken).ConfigureAwait(false)).AsList(),
#pragma warning restore DAP018
        cancellationToken, write: false);

    public Task<ClientRow?> FindClientByKeyHashAsync(string keyHash, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.QuerySingleOrDefaultAsync<ClientRow>(
            $"SELECT {ClientColumns} FROM clients WHERE key_hash = @KeyHash", new { KeyHash = keyHash, cancellationToken }).ConfigureAwait(false),
        cancellationToken, write: false);

    public Task<ClientRow?> GetClientAsync(string clientId, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.QuerySingleOrDefaultAsync<ClientRow>(
            $"SELECT {ClientColumns} FROM clients WHERE client_id = @ClientId", new { ClientId = clientId, cancellationToken }).ConfigureAwait(false),
        cancellationToken, write: false);

    private const string CountRequestSql =
        "INSERT INTO rate_windows (client_id, window_start, hits) VALUES (@ClientId, @WindowStart, 1) " +
        "ON CONFLICT (client_id, window_start) DO UPDATE SET hits = rate_windows.hits + 1 RETURNING hits";

    private const string InsertTaskSql =
        "INSERT INTO tasks (task_id, client_task_id, client_id, schedule_id, state, code_path, data_path, code_hash, limits_json, image, time_limit_ms, " +
        "request_digest, submit_state, created_at, due_at, published, published_at, lease_until, lease_owner, started_at, finished_at, reason, duration_ms, done_body, done_count) " +
        "VALUES (@TaskId, @ClientTaskId, @ClientId, @ScheduleId, @State, @CodePath, @DataPath, @CodeHash, @LimitsJson, @Image, @TimeLimitMs, " +
        "@RequestDigest, @SubmitState, @CreatedAt, @DueAt, @Published, @PublishedAt, @LeaseUntil, NULL, @StartedAt, @FinishedAt, @Reason, @DurationMs, @DoneBody, @DoneCount) " +
        // Both unique keys: the broker's taskId and the client's own id.
        "ON CONFLICT DO NOTHING";

    private const string TakeSlotSql = "UPDATE clients SET unfinished = unfinished + 1 WHERE client_id = @ClientId AND unfinished < @Limit";

    private const string ReleaseSlotSql = "UPDATE clients SET unfinished = unfinished - 1 WHERE client_id = @ClientId AND unfinished > 0";

    private const string ExistsSql = "SELECT 1 FROM tasks WHERE task_id = @TaskId OR (client_id = @ClientId AND client_task_id = @ClientTaskId)";

    public Task<long> CountRequestAsync(string clientId, long windowStart, CancellationToken cancellationToken) =>
        RunAsync(c => CountRequestAsync(c, clientId, windowStart, cancellationToken), cancellationToken);

    private async Task<long> CountRequestAsync(DbConnection c, string clientId, long windowStart, CancellationToken cancellationToken) =>
        Convert.ToInt64(await ScalarAsync(c, null, CountRequestSql, cancellationToken,
            ("ClientId", clientId, DbType.String), ("WindowStart", windowStart, DbType.Int64)).ConfigureAwait(false), CultureInfo.InvariantCulture);

    public Task<SubmitOutcome> SubmitAsync(TaskRow task, int? concurrentLimit, RateCheck? rate, CancellationToken cancellationToken) =>
        _submits.SubmitAsync(task, concurrentLimit, rate, cancellationToken);

    /// <summary>A batch of submits in one transaction (<see cref="SubmitBatcher"/>), on prepared statements: the hot path.</summary>
    private Task<bool> SubmitBatchAsync(IReadOnlyList<SubmitBatcher.Pending> batch, CancellationToken cancellationToken) => RunAsync(async c =>
    {
        var outcomes = new SubmitOutcome[batch.Count];
        // In client order: two processes' batches lock the clients' rows (PostgreSQL) in the same order, never in a cycle.
        var order = Enumerable.Range(0, batch.Count).OrderBy(i => batch[i].Task.ClientId, StringComparer.Ordinal).ToArray();
        await using (var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var i in order)
            {
                outcomes[i] = await SubmitOneAsync(c, tx, batch[i], cancellationToken).ConfigureAwait(false);
            }

            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Outcome.TrySetResult(outcomes[i]);
        }

        return true;
    }, cancellationToken);

    /// <summary>
    /// One submit inside a batch's transaction, in an order that never needs undoing: the request is counted (and
    /// stays counted), a slot is taken, the task inserted; a task that exists gives its slot back.
    /// </summary>
    private async Task<SubmitOutcome> SubmitOneAsync(DbConnection c, DbTransaction tx, SubmitBatcher.Pending submit, CancellationToken cancellationToken)
    {
        var task = submit.Task;
        if (submit.Rate is { } rate && task.ClientId is not null)
        {
            var hits = Convert.ToInt64(await ScalarAsync(c, tx, CountRequestSql, cancellationToken,
                ("ClientId", task.ClientId, DbType.String), ("WindowStart", rate.WindowStart, DbType.Int64)).ConfigureAwait(false), CultureInfo.InvariantCulture);
            if (hits > rate.Limit)
            {
                return SubmitOutcome.OverRate;
            }
        }

        if (task.ClientId is not null &&
            await ExecAsync(c, tx, TakeSlotSql, cancellationToken, ("ClientId", task.ClientId, DbType.String), ("Limit", (long)(submit.ConcurrentLimit ?? int.MaxValue), DbType.Int64)).ConfigureAwait(false) != 1)
        {
            // At the limit, an idempotent resubmit of an existing task is still answered as one.
            return await ScalarAsync(c, tx, ExistsSql, cancellationToken,
                ("TaskId", task.TaskId, DbType.String), ("ClientId", task.ClientId, DbType.String), ("ClientTaskId", task.ClientTaskId, DbType.String)).ConfigureAwait(false) is null
                ? SubmitOutcome.OverConcurrency
                : SubmitOutcome.Exists;
        }

        if (await ExecAsync(c, tx, InsertTaskSql, cancellationToken, TaskValues(task)).ConfigureAwait(false) == 1)
        {
            return SubmitOutcome.Created;
        }

        if (task.ClientId is not null)
        {
            await ExecAsync(c, tx, ReleaseSlotSql, cancellationToken, ("ClientId", task.ClientId, DbType.String)).ConfigureAwait(false);
        }

        return SubmitOutcome.Exists;
    }

    public Task<TaskRow?> GetTaskAsync(string taskId, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.QuerySingleOrDefaultAsync<TaskRow>($"SELECT {TaskColumns} FROM tasks WHERE task_id = @TaskId", new { TaskId = taskId, cancellationToken }).ConfigureAwait(false),
        cancellationToken, write: false);

    public Task<TaskRow?> GetClientTaskAsync(string clientId, string clientTaskId, bool withDone, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.QuerySingleOrDefaultAsync<TaskRow>(
            "SELECT " + TaskColumnsDoneIfAsked + " FROM tasks WHERE client_id = @ClientId AND client_task_id = @ClientTaskId",
            new { ClientId = clientId, ClientTaskId = clientTaskId, WithDone = withDone ? 1 : 0, cancellationToken }).ConfigureAwait(false),
        cancellationToken, write: false);

    public Task<IReadOnlyList<TaskRow>> ListTasksAsync(TaskQuery query, CancellationToken cancellationToken) => RunAsync(async c =>
    {
        // Constant statements (Dapper.AOT 1.1.0 generates code that does not compile for SQL built at run time with a
        // CancellationToken member): an absent state is a NULL that matches any, an absent cursor the largest seq, and
        // the done body (traces can be large; GET /v1/tasks/{id} has it) comes only when asked. The client filter keeps
        // its own statement so that both stores walk the (client_id, seq) index for a client's pages.
        var args = new
        {
            query.ClientId,
            query.State,
            BeforeSeq = query.BeforeSeq ?? long.MaxValue,
            query.Limit,
            WithDone = query.WithDone ? 1 : 0,
            cancellationToken,
        };
        var rows = query.ClientId is null
            ? c.QueryAsync<TaskRow>("SELECT " + TaskColumnsDoneIfAsked + " FROM tasks WHERE seq < @BeforeSeq AND (@State IS NULL OR state = @State) " + TaskListOrder, args)
            : c.QueryAsync<TaskRow>("SELECT " + TaskColumnsDoneIfAsked + " FROM tasks WHERE client_id = @ClientId AND seq < @BeforeSeq AND (@State IS NULL OR state = @State) " + TaskListOrder, args);
        return (IReadOnlyList<TaskRow>)(await rows.ConfigureAwait(false)).AsList();
    }, cancellationToken, write: false);

    public Task<IReadOnlyList<StateCount>> CountStatesAsync(string? clientId, CancellationToken cancellationToken) => RunAsync(async c =>
        (IReadOnlyList<StateCount>)(await (clientId is null
#pragma warning disable DAP018 // The only argument is the cancellation token, not a SQL parameter: Dapper.AOT 1.1.0 still reports it (fixed upstream, DapperAOT #201).
            ? c.QueryAsync<StateCount>("SELECT state, COUNT(*) AS tasks FROM tasks GROUP BY state", cancellationToken)
#pragma warning restore DAP018
            : c.QueryAsync<StateCount>("SELECT state, COUNT(*) AS tasks FROM tasks WHERE client_id = @ClientId GROUP BY state", new { ClientId = clientId, cancellationToken }))
            .ConfigureAwait(false)).AsList(),
        cancellationToken, write: false);

    private const string MarkPublishedSql =
        "UPDATE tasks SET published = 1, published_at = @Now, lease_until = 0, lease_owner = NULL, " +
        "state = CASE WHEN state = 'scheduled' THEN 'queued' ELSE state END WHERE ";

    public Task MarkPublishedAsync(IReadOnlyList<string> taskIds, long now, CancellationToken cancellationToken) => RunAsync(async c =>
    {
        var args = new { TaskIds = taskIds.ToArray(), Now = now, cancellationToken };
        await (_dialect.ListIsArrayParameter
            ? c.ExecuteAsync(MarkPublishedSql + "task_id = ANY(@TaskIds)", args)
            : c.ExecuteAsync(MarkPublishedSql + "task_id IN @TaskIds", args)).ConfigureAwait(false);
    }, cancellationToken);

    public Task<IReadOnlyList<TaskRow>> ClaimDueTasksAsync(long now, long leaseUntil, string owner, int limit, CancellationToken cancellationToken) => RunAsync(async c =>
        (IReadOnlyList<TaskRow>)(await c.QueryAsync<TaskRow>(
            "UPDATE tasks SET lease_until = @LeaseUntil, lease_owner = @Owner " +
            "WHERE seq IN (SELECT seq FROM tasks WHERE published = 0 AND finished_at IS NULL AND due_at <= @Now AND lease_until < @Now ORDER BY due_at LIMIT @Limit) " +
            $"AND published = 0 AND finished_at IS NULL AND lease_until < @Now RETURNING {ColumnsWithoutDone}",
            new { Now = now, LeaseUntil = leaseUntil, Owner = owner, Limit = limit, cancellationToken }).ConfigureAwait(false)).AsList(),
        cancellationToken);

    public Task<DoneOutcome> RecordDoneAsync(DoneRecord done, CancellationToken cancellationToken) => RunAsync(async c =>
    {
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var task = await c.QuerySingleOrDefaultAsync<DoneTarget>(
            "SELECT client_id, finished_at, reason, CASE WHEN done_body IS NULL THEN 0 ELSE 1 END AS has_done FROM tasks WHERE task_id = @TaskId",
            new { done.TaskId, cancellationToken }, tx).ConfigureAwait(false);
        if (task is null)
        {
            // Not a task of this store (another store's, or another publisher's): never stored, the caller counts it.
            return DoneOutcome.Unknown;
        }

        var fresh = await c.ExecuteAsync(
            "INSERT INTO done_messages (task_id, digest, received_at) VALUES (@TaskId, @Digest, @FinishedAt) ON CONFLICT DO NOTHING",
            new { done.TaskId, done.Digest, done.FinishedAt, cancellationToken }, tx).ConfigureAwait(false) == 1;
        if (!fresh)
        {
            return DoneOutcome.Duplicate;
        }

        // The first done message is the task's result, also after the task was marked unanswered (a late answer);
        // a later, different one (the task ran again elsewhere) is only counted.
        var unanswered = task.FinishedAt is not null && task.HasDone == 0 && task.Reason == SkipReasons.NoAnswer;
        if (task.FinishedAt is null || unanswered)
        {
            await c.ExecuteAsync(
                "UPDATE tasks SET state = @State, reason = @Reason, duration_ms = @DurationMs, started_at = COALESCE(started_at, @StartedAt), " +
                "finished_at = @FinishedAt, done_body = @Body, done_count = done_count + 1, published = 1 WHERE task_id = @TaskId",
                new { done.State, done.Reason, done.DurationMs, done.StartedAt, done.FinishedAt, done.Body, done.TaskId, cancellationToken }, tx).ConfigureAwait(false);
            if (task.FinishedAt is null && task.ClientId is not null)
            {
                await ReleaseSlotAsync(c, task.ClientId, tx, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            await c.ExecuteAsync("UPDATE tasks SET done_count = done_count + 1 WHERE task_id = @TaskId", new { done.TaskId, cancellationToken }, tx).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return DoneOutcome.Stored;
    }, cancellationToken);

    public Task<bool> MarkRunningAsync(string taskId, string stepName, long at, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.ExecuteAsync(
            "UPDATE tasks SET state = 'running', progress_step = @Step, started_at = COALESCE(started_at, @At) " +
            "WHERE task_id = @TaskId AND finished_at IS NULL AND state IN ('scheduled', 'queued', 'running')",
            new { TaskId = taskId, Step = stepName, At = at, cancellationToken }).ConfigureAwait(false) == 1, cancellationToken);

    public Task<bool> CancelUnpublishedAsync(string taskId, long now, CancellationToken cancellationToken) => RunAsync(async c =>
    {
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var clientId = await c.ExecuteScalarAsync<string?>(
            "UPDATE tasks SET state = 'error', reason = 'cancelled', finished_at = @Now " +
            "WHERE task_id = @TaskId AND published = 0 AND finished_at IS NULL AND lease_until < @Now RETURNING client_id",
            new { TaskId = taskId, Now = now, cancellationToken }, tx).ConfigureAwait(false);
        var cancelled = clientId is not null;
        if (cancelled)
        {
            await ReleaseSlotAsync(c, clientId!, tx, cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return cancelled;
    }, cancellationToken);

    public Task<IReadOnlyList<TaskRow>> MarkUnansweredAsync(long now, long graceMs, long defaultLimitMs, CancellationToken cancellationToken) => RunAsync(async c =>
    {
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // From its publication, or from its first progress message when later (it waited in the queue until then).
        var marked = (await c.QueryAsync<TaskRow>(
            "UPDATE tasks SET state = 'error', reason = @Reason, finished_at = @Now " +
            "WHERE seq IN (SELECT seq FROM tasks WHERE finished_at IS NULL AND published = 1 AND " +
            "CASE WHEN started_at IS NOT NULL AND started_at > published_at THEN started_at ELSE published_at END + COALESCE(time_limit_ms, @DefaultLimit) + @Grace < @Now LIMIT 500) " +
            $"RETURNING {ColumnsWithoutDone}",
            new { Reason = SkipReasons.NoAnswer, Now = now, Grace = graceMs, DefaultLimit = defaultLimitMs, cancellationToken }, tx).ConfigureAwait(false)).AsList();
        foreach (var task in marked.Where(t => t.ClientId is not null))
        {
            await ReleaseSlotAsync(c, task.ClientId!, tx, cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (IReadOnlyList<TaskRow>)marked;
    }, cancellationToken);

    public Task<bool> CreateScheduleAsync(ScheduleRow schedule, int maxPerClient, CancellationToken cancellationToken) => RunAsync(async c =>
    {
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (_dialect.LocksRows)
        {
            // Serialises the counting below per client (SQLite has one writer at a time anyway).
            await c.ExecuteAsync("SELECT 1 FROM clients WHERE client_id = @ClientId FOR UPDATE", new { schedule.ClientId, cancellationToken }, tx).ConfigureAwait(false);
        }

        var active = await c.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM schedules WHERE client_id = @ClientId AND deleted = 0", new { schedule.ClientId, cancellationToken }, tx).ConfigureAwait(false);
        if (active >= maxPerClient)
        {
            return false;
        }

        await c.ExecuteAsync(
            "INSERT INTO schedules (schedule_id, client_id, code_path, data_path, code_hash, limits_json, image, every_seconds, cron, created_at, next_fire_at) " +
            "VALUES (@ScheduleId, @ClientId, @CodePath, @DataPath, @CodeHash, @LimitsJson, @Image, @EverySeconds, @Cron, @CreatedAt, @NextFireAt)",
            new
            {
                schedule.ScheduleId, schedule.ClientId, schedule.CodePath, schedule.DataPath, schedule.CodeHash, schedule.LimitsJson, schedule.Image,
                schedule.EverySeconds, schedule.Cron, schedule.CreatedAt, schedule.NextFireAt, cancellationToken,
            }, tx).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }, cancellationToken);

    public Task<ScheduleRow?> GetScheduleAsync(string scheduleId, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.QuerySingleOrDefaultAsync<ScheduleRow>(
            $"SELECT {ScheduleColumns} FROM schedules WHERE schedule_id = @ScheduleId", new { ScheduleId = scheduleId, cancellationToken }).ConfigureAwait(false),
        cancellationToken, write: false);

    public Task<IReadOnlyList<ScheduleRow>> ListSchedulesAsync(string? clientId, bool withDeleted, CancellationToken cancellationToken) => RunAsync(async c =>
    {
        // One constant statement, as for the task list: an absent client is a NULL that matches any.
        var rows = c.QueryAsync<ScheduleRow>(
            "SELECT " + ScheduleColumns + " FROM schedules WHERE (@ClientId IS NULL OR client_id = @ClientId) AND (@WithDeleted = 1 OR deleted = 0) " +
            "ORDER BY created_at DESC, schedule_id LIMIT 1000",
            new { ClientId = clientId, WithDeleted = withDeleted ? 1 : 0, cancellationToken });
        return (IReadOnlyList<ScheduleRow>)(await rows.ConfigureAwait(false)).AsList();
    }, cancellationToken, write: false);

    public Task<bool> DeleteScheduleAsync(string scheduleId, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.ExecuteAsync("UPDATE schedules SET deleted = 1 WHERE schedule_id = @ScheduleId AND deleted = 0", new { ScheduleId = scheduleId, cancellationToken }).ConfigureAwait(false) == 1,
        cancellationToken);

    public Task<IReadOnlyList<ScheduleRow>> ClaimDueSchedulesAsync(long now, long leaseUntil, string owner, CancellationToken cancellationToken) => RunAsync(async c =>
        (IReadOnlyList<ScheduleRow>)(await c.QueryAsync<ScheduleRow>(
            "UPDATE schedules SET lease_until = @LeaseUntil, lease_owner = @Owner WHERE deleted = 0 AND next_fire_at <= @Now AND lease_until < @Now " +
            $"RETURNING {ScheduleColumns}",
            new { Now = now, LeaseUntil = leaseUntil, Owner = owner, cancellationToken }).ConfigureAwait(false)).AsList(),
        cancellationToken);

    public Task<FireOutcome> FireScheduleAsync(ScheduleRow schedule, TaskRow firing, long nextFireAt, string owner, Func<string, TierLimits> tierOf, CancellationToken cancellationToken) =>
        RunAsync(async c =>
        {
            await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            // Conditional on the period still being the one claimed: a process whose lease ran out and was taken over
            // changes nothing, so each period fires once even then.
            var advanced = await c.ExecuteAsync(
                "UPDATE schedules SET next_fire_at = @Next, lease_until = 0, lease_owner = NULL " +
                "WHERE schedule_id = @ScheduleId AND lease_owner = @Owner AND next_fire_at = @Previous AND deleted = 0",
                new { Next = nextFireAt, schedule.ScheduleId, Owner = owner, Previous = schedule.NextFireAt, cancellationToken }, tx).ConfigureAwait(false);
            if (advanced == 0)
            {
                return new FireOutcome(false, null);
            }

            // A run is one of the client's requests and one of its tasks: over either limit it is skipped (and kept as such).
            var skip = firing.ClientId is null ? null : await AdmitRunAsync(c, firing, tierOf, tx, cancellationToken).ConfigureAwait(false);
            var row = skip is null ? firing : firing with
            {
                State = ApiTaskStates.Skipped, SubmitState = ApiTaskStates.Skipped, Reason = skip, FinishedAt = firing.CreatedAt,
            };
            await InsertTaskAsync(c, row, tx, cancellationToken).ConfigureAwait(false);
            var counted = new { schedule.ScheduleId, cancellationToken };
            await (skip is null
                ? c.ExecuteAsync("UPDATE schedules SET fired_count = fired_count + 1 WHERE schedule_id = @ScheduleId", counted, tx)
                : c.ExecuteAsync("UPDATE schedules SET skipped_count = skipped_count + 1 WHERE schedule_id = @ScheduleId", counted, tx)).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            return new FireOutcome(true, skip);
        }, cancellationToken);

    public Task<TaskRow?> LatestScheduleRunAsync(string scheduleId, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.QuerySingleOrDefaultAsync<TaskRow>(
            $"SELECT {TaskColumns} FROM tasks WHERE schedule_id = @ScheduleId AND finished_at IS NOT NULL AND state <> 'skipped' ORDER BY seq DESC LIMIT 1",
            new { ScheduleId = scheduleId, cancellationToken }).ConfigureAwait(false),
        cancellationToken, write: false);

    public Task<IReadOnlyList<ClientTaskCount>> CountTasksAsync(CancellationToken cancellationToken) => RunAsync(async c =>
        (IReadOnlyList<ClientTaskCount>)(await c.QueryAsync<ClientTaskCount>(
#pragma warning disable DAP018 // The only argument is the cancellation token, not a SQL parameter: Dapper.AOT 1.1.0 still reports it (fixed upstream, DapperAOT #201).
            "SELECT client_id, state, COUNT(*) AS tasks FROM tasks GROUP BY client_id, state", cancellationToken).ConfigureAwait(false)).AsList(),
#pragma warning restore DAP018
        cancellationToken, write: false);

    public Task<string> GetOrCreateSecretAsync(CancellationToken cancellationToken) =>
        GetOrCreateMetaAsync("view_secret", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), cancellationToken);

    public Task<string> GetOrCreateStoreIdAsync(CancellationToken cancellationToken) =>
        GetOrCreateMetaAsync("store_id", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)), cancellationToken);

    private Task<string> GetOrCreateMetaAsync(string key, string value, CancellationToken cancellationToken) => RunAsync(async c =>
    {
        await c.ExecuteAsync("INSERT INTO meta (meta_key, meta_value) VALUES (@Key, @Value) ON CONFLICT DO NOTHING",
            new { Key = key, Value = value, cancellationToken }).ConfigureAwait(false);
        return await c.ExecuteScalarAsync<string?>("SELECT meta_value FROM meta WHERE meta_key = @Key", new { Key = key, cancellationToken }).ConfigureAwait(false)
            ?? throw new InvalidOperationException(key + " missing after insert");
    }, cancellationToken);

    public Task PruneAsync(long now, CancellationToken cancellationToken) => RunAsync(async c =>
        await c.ExecuteAsync("DELETE FROM rate_windows WHERE window_start < @Before", new { Before = now - 120_000, cancellationToken }).ConfigureAwait(false),
        cancellationToken);

    /// <summary>Takes one of the client's concurrent slots; false when it has <paramref name="limit"/> unfinished tasks.</summary>
    private static async Task<bool> TakeSlotAsync(DbConnection c, string clientId, int limit, DbTransaction tx, CancellationToken cancellationToken) =>
        await c.ExecuteAsync(TakeSlotSql, new { ClientId = clientId, Limit = (long)limit, cancellationToken }, tx).ConfigureAwait(false) == 1;

    private static Task<int> ReleaseSlotAsync(DbConnection c, string clientId, DbTransaction tx, CancellationToken cancellationToken) =>
        c.ExecuteAsync(ReleaseSlotSql, new { ClientId = clientId, cancellationToken }, tx);

    /// <summary>Null when the client may run <paramref name="firing"/> now (a slot and a request of the minute are taken), else why not.</summary>
    private static async Task<string?> AdmitRunAsync(DbConnection c, TaskRow firing, Func<string, TierLimits> tierOf, DbTransaction tx, CancellationToken cancellationToken)
    {
        var client = await c.QuerySingleOrDefaultAsync<ClientRow>(
            $"SELECT {ClientColumns} FROM clients WHERE client_id = @ClientId", new { firing.ClientId, cancellationToken }, tx).ConfigureAwait(false);
        if (client is null || client.Enabled != 1)
        {
            return SkipReasons.ClientDisabled;
        }

        var tier = tierOf(client.Tier);
        if (!await TakeSlotAsync(c, client.ClientId, tier.Concurrent, tx, cancellationToken).ConfigureAwait(false))
        {
            return SkipReasons.ConcurrencyLimit;
        }

        // Counted only when under the limit: a skipped run uses none of the client's requests.
        var hits = await c.ExecuteScalarAsync<long?>(
            "INSERT INTO rate_windows (client_id, window_start, hits) VALUES (@ClientId, @WindowStart, 1) " +
            "ON CONFLICT (client_id, window_start) DO UPDATE SET hits = rate_windows.hits + 1 WHERE rate_windows.hits < @Limit RETURNING hits",
            new { client.ClientId, WindowStart = Quotas.RateWindow.Start(firing.CreatedAt), Limit = (long)tier.RequestsPerMinute, cancellationToken }, tx).ConfigureAwait(false);
        if (hits is null)
        {
            await ReleaseSlotAsync(c, client.ClientId, tx, cancellationToken).ConfigureAwait(false);
            return SkipReasons.RateLimit;
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await _submits.DisposeAsync().ConfigureAwait(false);
        await _dialect.DisposeAsync().ConfigureAwait(false);
    }

    private async Task<bool> InsertTaskAsync(DbConnection c, TaskRow task, DbTransaction tx, CancellationToken cancellationToken) =>
        await ExecAsync(c, tx, InsertTaskSql, cancellationToken, TaskValues(task)).ConfigureAwait(false) == 1;

    private static (string, object?, DbType)[] TaskValues(TaskRow t) =>
    [
        ("TaskId", t.TaskId, DbType.String), ("ClientTaskId", t.ClientTaskId, DbType.String), ("ClientId", t.ClientId, DbType.String),
        ("ScheduleId", t.ScheduleId, DbType.String), ("State", t.State, DbType.String), ("CodePath", t.CodePath, DbType.String),
        ("DataPath", t.DataPath, DbType.String), ("CodeHash", t.CodeHash, DbType.String), ("LimitsJson", t.LimitsJson, DbType.String),
        ("Image", t.Image, DbType.String), ("TimeLimitMs", t.TimeLimitMs, DbType.Int64), ("RequestDigest", t.RequestDigest, DbType.String),
        ("SubmitState", t.SubmitState, DbType.String), ("CreatedAt", t.CreatedAt, DbType.Int64), ("DueAt", t.DueAt, DbType.Int64),
        ("Published", t.Published, DbType.Int64), ("PublishedAt", t.PublishedAt, DbType.Int64), ("LeaseUntil", t.LeaseUntil, DbType.Int64),
        ("StartedAt", t.StartedAt, DbType.Int64), ("FinishedAt", t.FinishedAt, DbType.Int64), ("Reason", t.Reason, DbType.String),
        ("DurationMs", t.DurationMs, DbType.Int64), ("DoneBody", t.DoneBody, DbType.String), ("DoneCount", t.DoneCount, DbType.Int64),
    ];

    /// <summary>Runs a statement of the hot path through the dialect's command cache (prepared once on SQLite's writer).</summary>
    private async Task<int> ExecAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken cancellationToken, params (string Name, object? Value, DbType Type)[] values)
    {
        var command = Bind(c, tx, sql, values, out var reused);
        try
        {
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!reused)
            {
                await command.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<object?> ScalarAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken cancellationToken, params (string Name, object? Value, DbType Type)[] values)
    {
        var command = Bind(c, tx, sql, values, out var reused);
        try
        {
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!reused)
            {
                await command.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private DbCommand Bind(DbConnection c, DbTransaction? tx, string sql, (string Name, object? Value, DbType Type)[] values, out bool reused)
    {
        var command = _dialect.Command(c, sql, out var kept);
        command.Transaction = tx;
        if (command.Parameters.Count == 0)
        {
            foreach (var (name, _, type) in values)
            {
                var parameter = command.CreateParameter();
                // With its prefix, as in the SQL: SQLite would otherwise look for each prefix on every bind.
                parameter.ParameterName = "@" + name;
                parameter.DbType = type;
                command.Parameters.Add(parameter);
            }
        }

        foreach (var (name, value, _) in values)
        {
            command.Parameters["@" + name].Value = value ?? DBNull.Value;
        }

        // Kept commands are owned by the dialect; the others are disposed by the caller.
        reused = kept;
        return command;
    }

    private async Task<T> RunAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken, bool write = true)
    {
        try
        {
            return write
                ? await _dialect.WriteAsync(work, cancellationToken).ConfigureAwait(false)
                : await _dialect.ReadAsync(work, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DbException or TimeoutException or IOException)
        {
            throw new StoreUnavailableException($"The {_dialect.Kind} task store failed: {e.Message}", e);
        }
    }

    private async Task RunAsync(Func<DbConnection, Task> work, CancellationToken cancellationToken) =>
        await RunAsync(async c =>
        {
            await work(c).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>What <see cref="RecordDoneAsync"/> reads of the task a done message answers.</summary>
    internal sealed class DoneTarget
    {
        public string? ClientId { get; init; }

        public long? FinishedAt { get; init; }

        public string? Reason { get; init; }

        public long HasDone { get; init; }
    }
}
