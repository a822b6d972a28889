using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace DataExchangeTasker.Api.Store;

/// <summary>
/// A SQLite file in WAL mode (readers do not block the writer; several processes may share it on one host) with
/// <c>synchronous=NORMAL</c>: a commit survives a crash of the process, and the last commits may be lost only if the
/// machine loses power. Writes go one after the other over one long-lived connection (statements prepared once); the
/// WAL is checkpointed in the background every second instead of by the commit that crosses the threshold, so no
/// request waits for a checkpoint's fsync.
/// </summary>
internal sealed class SqliteDialect : IStoreDialect
{
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private static readonly TimeSpan CheckpointInterval = TimeSpan.FromSeconds(1);
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Dictionary<string, DbCommand> _prepared = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _checkpoints;
    private SqliteConnection? _writer;

    public SqliteDialect(string path)
    {
        MakePrivate(path);
        // Default Timeout: how long a statement waits for another process's write lock (busy) before failing.
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 10 }.ToString();
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
        _checkpoints = Task.Run(() => CheckpointLoopAsync(_stopping.Token));
    }

    /// <summary>
    /// The store holds the code's output on private data and key hashes: its folder is made 0700 when this creates it
    /// (an existing folder is left as it is: it may be shared, like /tmp), the file 0600 before SQLite first opens it,
    /// and SQLite gives its -wal and -shm files the database file's mode. Files of an older, laxer start are made 0600.
    /// </summary>
    private static void MakePrivate(string path)
    {
        var folder = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(folder))
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        if (!File.Exists(path))
        {
            using var created = new FileStream(path, new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.Write, UnixCreateMode = OwnerOnlyFile });
        }

        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
        {
            if (File.Exists(file) && File.GetUnixFileMode(file) != OwnerOnlyFile)
            {
                File.SetUnixFileMode(file, OwnerOnlyFile);
            }
        }
    }

    public string Kind => "sqlite";

    public string SeqColumn => "seq INTEGER PRIMARY KEY";

    public string? MigrationLockSql => null;

    public bool LocksRows => false;

    public bool ListIsArrayParameter => false;

    public async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await work(connection).ConfigureAwait(false);
    }

    public async Task<T> WriteAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _writer ??= await OpenWriterAsync(cancellationToken).ConfigureAwait(false);
            return await work(_writer).ConfigureAwait(false);
        }
        catch (SqliteException)
        {
            // The next write starts on a fresh connection (and prepares its statements again).
            await DropWriterAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public DbCommand Command(DbConnection connection, string sql, out bool reused)
    {
        if (!ReferenceEquals(connection, _writer))
        {
            reused = false;
            var fresh = connection.CreateCommand();
            fresh.CommandText = sql;
            return fresh;
        }

        // Only called under the write gate.
        reused = _prepared.TryGetValue(sql, out var command);
        if (!reused)
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            _prepared[sql] = command;
        }

        return command!;
    }

    private async Task<SqliteConnection> OpenWriterAsync(CancellationToken cancellationToken)
    {
        // Not pooled: this connection lives as long as the store.
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder(_connectionString) { Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        // Checkpoints are the background loop's (below), not the committing request's.
        command.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private async Task DropWriterAsync()
    {
        foreach (var command in _prepared.Values)
        {
            await command.DisposeAsync().ConfigureAwait(false);
        }

        _prepared.Clear();
        if (_writer is not null)
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
            _writer = null;
        }
    }

    private async Task CheckpointLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(CheckpointInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    // PASSIVE: copies what it can without waiting for readers or blocking the writer.
                    await ReadAsync(async c =>
                    {
                        await using var command = c.CreateCommand();
                        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
                        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }, cancellationToken).ConfigureAwait(false);
                }
                catch (SqliteException)
                {
                    // Busy or failing disk: the next tick tries again; the writes report real failures themselves.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _checkpoints.ConfigureAwait(false);
        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            await DropWriterAsync().ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }

        _writeGate.Dispose();
        _stopping.Dispose();
        SqliteConnection.ClearAllPools();
    }
}
