using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace DataExchangeTasker.IntegrationTests.Api;

/// <summary>
/// A private PostgreSQL 15 cluster (Debian's postgresql package): initdb + pg_ctl in a temp folder on a free port of
/// 127.0.0.1, run as the <c>postgres</c> OS user (initdb refuses root). Chosen over a Testcontainers image because the
/// binaries are already on the host (no image to build in setup) and it is up in about two seconds; fsync is off, as
/// nothing here must survive a power loss. Each test gets its own database (<see cref="CreateDatabaseAsync"/>).
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private readonly string _root;

    private PostgresCluster(string root, int port)
    {
        _root = root;
        Port = port;
    }

    public int Port { get; }

    /// <summary>initdb and start; a missing package fails the run (scripts/setup.sh installs postgresql).</summary>
    public static async Task<PostgresCluster> StartAsync()
    {
        if (!File.Exists(Path.Combine(Bin, "initdb")))
        {
            throw new InvalidOperationException($"PostgreSQL 15 is not installed ({Bin}/initdb missing): scripts/setup.sh installs Debian's postgresql. These tests are never skipped.");
        }

        var root = Directory.CreateTempSubdirectory("tasker-pg-").FullName;
        await RunAsync("chown", "postgres:postgres", root);
        var port = FreePort();
        var cluster = new PostgresCluster(root, port);
        await RunAsync("runuser", "-u", "postgres", "--", Path.Combine(Bin, "initdb"), "-D", Path.Combine(root, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync");
        await RunAsync("runuser", "-u", "postgres", "--", Path.Combine(Bin, "pg_ctl"), "-D", Path.Combine(root, "data"), "-w", "-t", "30", "-l", Path.Combine(root, "log"),
            "-o", $"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", "start");
        return cluster;
    }

    /// <summary>A new empty database; returns its <c>postgres://</c> URI for TASKER_DB.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..30].ToLowerInvariant();
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Timeout=10");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return $"postgres://postgres@127.0.0.1:{Port}/{name}";
    }

    /// <summary>Stops the server at once and removes its folder.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync("runuser", "-u", "postgres", "--", Path.Combine(Bin, "pg_ctl"), "-D", Path.Combine(_root, "data"), "-m", "immediate", "-w", "stop");
        }
        finally
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {process.ExitCode}: {await output}{await error}");
        }
    }
}
