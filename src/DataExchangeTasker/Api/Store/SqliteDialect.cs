using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace DataExchangeTasker.Api.Store;

/// <summary>
/// A SQLite file in WAL mode (readers do not block the writer; several processes may share it on one host) with
/// <c>synchronous=NORMAL</c>: a commit survives a crash of the process, and the last commits may be lost only if the
/// machine loses power. Write transactions start IMMEDIATE, so they serialise instead of failing on upgrade.
/// </summary>
public sealed class SqliteDialect : IStoreDialect
{
    private readonly string _connectionString;

    public SqliteDialect(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Default Timeout: how long a statement waits for another writer's lock (busy) before failing.
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 10 }.ToString();
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
    }

    public string Kind => "sqlite";

    public string SeqColumn => "seq INTEGER PRIMARY KEY";

    public string? MigrationLockSql => null;

    public string? ClientLockSql => null;

    public SemaphoreSlim? WriteGate { get; } = new(1, 1);

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous=NORMAL;";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    public ValueTask DisposeAsync()
    {
        WriteGate!.Dispose();
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }
}
