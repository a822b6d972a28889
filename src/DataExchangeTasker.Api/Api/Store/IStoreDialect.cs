using System.Data.Common;

namespace DataExchangeTasker.Api.Store;

/// <summary>What differs between SQLite and PostgreSQL; the SQL of <see cref="SqlTaskStore"/> is otherwise shared.</summary>
internal interface IStoreDialect : IAsyncDisposable
{
    /// <summary>"sqlite" or "postgres".</summary>
    string Kind { get; }

    /// <summary>The insertion-order key column's definition.</summary>
    string SeqColumn { get; }

    /// <summary>Run first in the migration transaction so that concurrent starters migrate one after another.</summary>
    string? MigrationLockSql { get; }

    /// <summary>Run first in a transaction that counts a client's schedules (@ClientId), to serialise it per client.</summary>
    string? ClientLockSql { get; }

    /// <summary>
    /// "<paramref name="column"/> is one of the list in <paramref name="parameter"/>": Dapper expands <c>IN @list</c>
    /// for SQLite but passes a list to PostgreSQL as one array parameter, where <c>IN $1</c> is a syntax error.
    /// </summary>
    string AnyOf(string column, string parameter);

    /// <summary>Runs <paramref name="work"/> on a connection for reading (pooled; readers run in parallel).</summary>
    Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> on a connection for writing. SQLite has one writer at a time: its writes go one after
    /// the other over one long-lived connection (no open per write, statements prepared once), queued in memory rather
    /// than busy-waiting on the file lock. PostgreSQL: a pooled connection.
    /// </summary>
    Task<T> WriteAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken);

    /// <summary>
    /// A command for <paramref name="sql"/> on <paramref name="connection"/>: kept and prepared once when the connection
    /// is long-lived (SQLite's writer), else new (PostgreSQL prepares its frequent statements itself).
    /// </summary>
    DbCommand Command(DbConnection connection, string sql, out bool reused);
}
