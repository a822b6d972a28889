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

    /// <summary>
    /// Whether SELECT ... FOR UPDATE locks rows (PostgreSQL): run first in a transaction that counts a client's
    /// schedules, to serialise it per client. SQLite has one writer at a time and no FOR UPDATE.
    /// </summary>
    bool LocksRows { get; }

    /// <summary>
    /// Whether a list parameter is one array parameter (PostgreSQL: <c>= ANY(@list)</c>) rather than expanded by
    /// Dapper into <c>IN (@list1, @list2, ...)</c> (SQLite), where <c>IN $1</c> would be a syntax error.
    /// </summary>
    bool ListIsArrayParameter { get; }

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
