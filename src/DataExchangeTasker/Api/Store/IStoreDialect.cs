using System.Data.Common;

namespace DataExchangeTasker.Api.Store;

/// <summary>What differs between SQLite and PostgreSQL; the SQL of <see cref="SqlTaskStore"/> is otherwise shared.</summary>
public interface IStoreDialect : IAsyncDisposable
{
    /// <summary>"sqlite" or "postgres".</summary>
    string Kind { get; }

    /// <summary>The insertion-order key column's definition.</summary>
    string SeqColumn { get; }

    /// <summary>An open connection (pooled).</summary>
    Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Run first in the migration transaction so that concurrent starters migrate one after another.</summary>
    string? MigrationLockSql { get; }

    /// <summary>
    /// Held around every write when not null: SQLite has one writer at a time, and a writer that finds the lock taken
    /// sleeps in a retry loop; queueing this process's writers in memory instead keeps them from sleeping.
    /// </summary>
    SemaphoreSlim? WriteGate { get; }

    /// <summary>Run first in a submit transaction to serialise one client's concurrency checks (@ClientId).</summary>
    string? ClientLockSql { get; }
}
