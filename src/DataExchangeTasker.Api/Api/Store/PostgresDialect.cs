using System.Data.Common;
using Npgsql;

namespace DataExchangeTasker.Api.Store;

/// <summary>PostgreSQL through one pooled <see cref="NpgsqlDataSource"/>; every call has a connect and a command timeout.</summary>
internal sealed class PostgresDialect(string uri) : IStoreDialect
{
    private readonly NpgsqlDataSource _source = NpgsqlDataSource.Create(ConnectionString(uri));

    public string Kind => "postgres";

    public string SeqColumn => "seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY";

    // A transaction-scoped advisory lock: api processes starting together migrate one after the other.
    public string? MigrationLockSql => "SELECT pg_advisory_xact_lock(7243001)";

    public bool LocksRows => true;

    public bool ListIsArrayParameter => true;

    public Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken) => RunAsync(work, cancellationToken);

    public Task<T> WriteAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken) => RunAsync(work, cancellationToken);

    public DbCommand Command(DbConnection connection, string sql, out bool reused)
    {
        reused = false;
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    private async Task<T> RunAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await work(connection).ConfigureAwait(false);
    }

    /// <summary><c>postgres://user:password@host:port/database?sslmode=…</c> → an Npgsql connection string.</summary>
    public static string ConnectionString(string uri)
    {
        var u = new Uri(uri);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = u.Host,
            Port = u.IsDefaultPort || u.Port <= 0 ? 5432 : u.Port,
            Database = Uri.UnescapeDataString(u.AbsolutePath.TrimStart('/')) is { Length: > 0 } db ? db : "postgres",
            Timeout = 5,
            CommandTimeout = 15,
            MaxPoolSize = 32,
            // Statements run often are prepared on each pooled connection after a few uses.
            MaxAutoPrepare = 32,
        };
        if (u.UserInfo.Length > 0)
        {
            var parts = u.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        foreach (var pair in u.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            if (kv.Length == 2 && kv[0] == "sslmode" && Enum.TryParse<SslMode>(kv[1], ignoreCase: true, out var mode))
            {
                builder.SslMode = mode;
            }
        }

        return builder.ToString();
    }

    public ValueTask DisposeAsync() => _source.DisposeAsync();
}
