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

    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public SqliteDialect(string path)
    {
        MakePrivate(path);
        // Default Timeout: how long a statement waits for another writer's lock (busy) before failing.
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 10 }.ToString();
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
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
