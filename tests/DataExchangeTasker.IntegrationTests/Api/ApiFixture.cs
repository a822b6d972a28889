using DataExchangeTasker.IntegrationTests.Support;

namespace DataExchangeTasker.IntegrationTests.Api;

/// <summary>
/// What the api tests share: the broker, the engine and code/data roots (<see cref="TaskerFixture"/>), a private
/// PostgreSQL cluster, and one real worker (in process, runner image) on queues of its own that every api under test
/// publishes to. Each test has its own store (a SQLite file or a PostgreSQL database).
/// </summary>
public sealed class ApiFixture : IAsyncLifetime
{
    private PostgresCluster? _postgres;
    private InProcessTasker? _worker;

    public TaskerFixture Tasker { get; } = new();

    public PostgresCluster Postgres => _postgres ?? throw new InvalidOperationException("Fixture not initialised.");

    /// <summary>The worker's settings (queues); apis publish to its todo queue and copy its done queue.</summary>
    public InProcessTasker Worker => _worker ?? throw new InvalidOperationException("Fixture not initialised.");

    /// <summary>The demo code and data, copied from examples/.</summary>
    public const string DemoCode = "demo1_code";

    public const string DemoData = "demo1_data";

    public async Task InitializeAsync()
    {
        await Tasker.InitializeAsync();
        TaskerFixture.CopyExample(DemoCode, Tasker.CodeRoot);
        TaskerFixture.CopyExample(DemoData, Tasker.DataRoot);
        var postgres = PostgresCluster.StartAsync();
        // TASKER_TEST_RUNNER_IMAGE: another runner image for the worker (default: the one scripts/setup.sh builds).
        _worker = await InProcessTasker.StartAsync(Tasker, new Dictionary<string, string?>
        {
            ["TASKER_CONCURRENCY"] = "4",
            ["TASKER_IMAGE"] = Environment.GetEnvironmentVariable("TASKER_TEST_RUNNER_IMAGE") ?? EngineRequirement.RunnerImage,
        });
        _postgres = await postgres;
    }

    public async Task DisposeAsync()
    {
        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        await Tasker.DisposeAsync();
    }
}

/// <summary>
/// The api tests that do not wait on the wall clock: one after another (they share the worker), beside the other lanes.
/// </summary>
[CollectionDefinition(Name)]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "An xunit collection definition; *Collection is xunit's naming convention.")]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}

/// <summary>
/// The api's schedule tests: alone, after the lanes that run beside each other, on a fixture of their own. They assert
/// on the wall clock (a schedule fires every period, runs per minute), which the other lanes' load made miss a period
/// (measured: two of two full runs with them beside four other lanes). The rest of the api tests (about 20 s) run in
/// <see cref="ApiCollection"/>, beside the lanes.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "An xunit collection definition; *Collection is xunit's naming convention.")]
public sealed class ApiScheduleCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "api-schedules";
}
