namespace DataExchangeTasker.Api.Store;

/// <summary>
/// The schema, as numbered migrations. A migration is never edited once released: changes are a new version.
/// Times are Unix milliseconds (BIGINT); flags are 0/1 integers, so the SQL is the same on SQLite and PostgreSQL.
/// </summary>
internal static class StoreMigrations
{
    /// <summary>Version → statements, in order.</summary>
    public static IReadOnlyList<(int Version, string[] Statements)> For(IStoreDialect dialect) =>
    [
        (1,
        [
            """
            CREATE TABLE clients (
                client_id TEXT PRIMARY KEY, tier TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE,
                enabled INTEGER NOT NULL, created_at BIGINT NOT NULL)
            """,
            $"""
            CREATE TABLE tasks (
                {dialect.SeqColumn},
                task_id TEXT NOT NULL UNIQUE, client_id TEXT NULL, schedule_id TEXT NULL, state TEXT NOT NULL,
                code_path TEXT NULL, data_path TEXT NULL, code_hash TEXT NULL, limits_json TEXT NULL,
                request_digest TEXT NULL, submit_state TEXT NULL,
                created_at BIGINT NOT NULL, due_at BIGINT NOT NULL,
                published INTEGER NOT NULL DEFAULT 0, published_at BIGINT NULL,
                lease_until BIGINT NOT NULL DEFAULT 0, lease_owner TEXT NULL,
                started_at BIGINT NULL, finished_at BIGINT NULL, reason TEXT NULL, duration_ms BIGINT NULL,
                progress_step TEXT NULL, done_body TEXT NULL, done_count INTEGER NOT NULL DEFAULT 0)
            """,
            "CREATE INDEX tasks_due ON tasks (due_at) WHERE published = 0",
            "CREATE INDEX tasks_client ON tasks (client_id, seq)",
            "CREATE INDEX tasks_unfinished ON tasks (client_id) WHERE finished_at IS NULL",
            "CREATE INDEX tasks_schedule ON tasks (schedule_id, seq) WHERE schedule_id IS NOT NULL",
            "CREATE TABLE done_messages (task_id TEXT NOT NULL, digest TEXT NOT NULL, received_at BIGINT NOT NULL, PRIMARY KEY (task_id, digest))",
            """
            CREATE TABLE schedules (
                schedule_id TEXT PRIMARY KEY, client_id TEXT NULL, code_path TEXT NOT NULL, data_path TEXT NOT NULL,
                code_hash TEXT NULL, limits_json TEXT NULL, every_seconds BIGINT NULL, cron TEXT NULL,
                created_at BIGINT NOT NULL, next_fire_at BIGINT NOT NULL, lease_until BIGINT NOT NULL DEFAULT 0,
                lease_owner TEXT NULL, fired_count BIGINT NOT NULL DEFAULT 0, deleted INTEGER NOT NULL DEFAULT 0)
            """,
            "CREATE INDEX schedules_due ON schedules (next_fire_at) WHERE deleted = 0",
            "CREATE TABLE rate_windows (client_id TEXT NOT NULL, window_start BIGINT NOT NULL, hits BIGINT NOT NULL, PRIMARY KEY (client_id, window_start))",
            "CREATE TABLE meta (meta_key TEXT PRIMARY KEY, meta_value TEXT NOT NULL)",
        ]),
        (2,
        [
            // Task ids are per client (issue 22): task_id stays the start message's taskId (unique on the broker),
            // client_task_id is the id the client chose or was given. Rows of version 1 keep their id for both.
            "ALTER TABLE tasks ADD COLUMN client_task_id TEXT NULL",
            "UPDATE tasks SET client_task_id = task_id",
            "CREATE UNIQUE INDEX tasks_client_task ON tasks (client_id, client_task_id)",
            "ALTER TABLE tasks ADD COLUMN image TEXT NULL",
            // The task's own time limit (ms): an unanswered task stops counting after it plus the grace.
            "ALTER TABLE tasks ADD COLUMN time_limit_ms BIGINT NULL",
            "CREATE INDEX tasks_unanswered ON tasks (published_at) WHERE finished_at IS NULL AND published = 1",
            "ALTER TABLE schedules ADD COLUMN image TEXT NULL",
            "ALTER TABLE schedules ADD COLUMN skipped_count BIGINT NOT NULL DEFAULT 0",
            "CREATE INDEX schedules_client ON schedules (client_id) WHERE deleted = 0",
            // Unfinished tasks per client, kept in the transaction that changes them: the concurrency check of a
            // submit reads one row instead of counting the client's unfinished tasks.
            "ALTER TABLE clients ADD COLUMN unfinished BIGINT NOT NULL DEFAULT 0",
            "UPDATE clients SET unfinished = (SELECT COUNT(*) FROM tasks WHERE tasks.client_id = clients.client_id AND tasks.finished_at IS NULL)",
        ]),
    ];
}
