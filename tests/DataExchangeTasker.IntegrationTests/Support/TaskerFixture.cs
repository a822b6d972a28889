using DataExchangeTasker.Docker;
using DataExchangeTasker.Sandbox.Spec;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// The test process's shared broker (<see cref="SharedBroker"/>), the real Docker engine and temp code/data roots,
/// shared by a collection. Each test isolates itself with its own queue names, tasker id and work root (see
/// <see cref="InProcessTasker"/>); a test that stops or reconfigures a broker starts one of its own.
/// </summary>
public sealed class TaskerFixture : IAsyncLifetime
{
    private RabbitMqBroker? _broker;

    // The ids of the tasker processes this fixture configured: a test that ends one with kill -9 right after its answer
    // leaves that task's container (its removal had not run yet), and no tasker of that id starts again to sweep it.
    private readonly System.Collections.Concurrent.ConcurrentBag<string> _processIds = [];

    /// <summary>The broker (shared with the other lanes: never stop or reconfigure it).</summary>
    public RabbitMqBroker Broker => _broker ?? throw new InvalidOperationException("Fixture not initialised.");

    /// <summary>The engine, for assertions about containers.</summary>
    public DockerEngine Docker { get; } = new(DockerEndpoint.Parse(Environment.GetEnvironmentVariable("DOCKER_HOST") ?? DockerEndpoint.DefaultHost));

    /// <summary>Root of this fixture's temp folders.</summary>
    public string Root { get; } = Directory.CreateTempSubdirectory("tasker-it-").FullName;

    /// <summary>TASKER_CODE_ROOT of every tasker in the collection.</summary>
    public string CodeRoot => Path.Combine(Root, "code");

    /// <summary>TASKER_DATA_ROOT of every tasker in the collection.</summary>
    public string DataRoot => Path.Combine(Root, "data");

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(CodeRoot);
        Directory.CreateDirectory(DataRoot);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await EngineRequirement.EnsureAsync(Docker, timeout.Token);
        _broker = await SharedBroker.GetAsync();
    }

    /// <summary>
    /// Environment for a <c>tasker</c> process of its own: this fixture's broker and roots, and queues, work root and
    /// tasker id no other test uses.
    /// </summary>
    public Dictionary<string, string?> ProcessEnvironment(string name)
    {
        var id = $"{name}-{Guid.NewGuid():N}"[..20];
        _processIds.Add(id);
        var environment = new Dictionary<string, string?>
        {
            ["TASKER_AMQP_URI"] = Broker.AmqpUri.ToString(),
            ["TASKER_CODE_ROOT"] = CodeRoot,
            ["TASKER_DATA_ROOT"] = DataRoot,
            ["TASKER_WORK_ROOT"] = Path.Combine(Root, "work-" + id),
            ["TASKER_RESULTS_ROOT"] = Path.Combine(Root, "results-" + id),
            ["TASKER_SNAPSHOT_ROOT"] = Path.Combine(Root, "snapshots"),
            ["TASKER_DEPS_ROOT"] = Path.Combine(Root, "deps-" + id),
            ["TASKER_IMAGE"] = EngineRequirement.RunnerImage,
            ["TASKER_TODO_QUEUE"] = id + ".todo",
            ["TASKER_DONE_QUEUE"] = id + ".done",
            ["TASKER_ID"] = id,
            ["TASKER_HTTP_BIND"] = "off",
        };
        if (EngineRequirement.Runtime is { } runtime)
        {
            environment["TASKER_RUNTIME"] = runtime;
        }

        return environment;
    }

    /// <summary>Only the queue names of <paramref name="environment"/>, for an in-process client of that tasker.</summary>
    public static Dictionary<string, string?> QueuesOf(Dictionary<string, string?> environment) => new()
    {
        ["TASKER_TODO_QUEUE"] = environment["TASKER_TODO_QUEUE"],
        ["TASKER_DONE_QUEUE"] = environment["TASKER_DONE_QUEUE"],
    };

    /// <summary>Writes a code folder with <c>run.py</c> and returns its codePath.</summary>
    public string WriteCode(string name, string runPy)
    {
        var dir = Path.Combine(CodeRoot, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "run.py"), runPy);
        return name;
    }

    /// <summary>Writes a data file and returns its dataPath.</summary>
    public string WriteData(string name, string content)
    {
        var path = Path.Combine(DataRoot, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return name;
    }

    /// <summary>Copies a folder of the repository's <c>examples/</c> into the code or data root.</summary>
    public static void CopyExample(string example, string targetRoot, string? targetName = null)
    {
        var source = Path.Combine(RepositoryRoot(), "examples", example);
        var target = Path.Combine(targetRoot, targetName ?? example);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }
    }

    /// <summary>The checkout's root (holds DataExchangeTasker.sln).</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DataExchangeTasker.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("DataExchangeTasker.sln not found above " + AppContext.BaseDirectory);
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        // The shared broker stays for the process's next fixture (SharedBroker removes it at exit).
        _broker = null;
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            foreach (var id in _processIds)
            {
                var owner = new Dictionary<string, string?> { [ContainerLabels.Owner] = id };
                foreach (var left in await Docker.ListContainersAsync(owner, deadline.Token))
                {
                    try
                    {
                        await Docker.RemoveContainerAsync(left.ID, deadline.Token);
                    }
                    catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
                    {
                        // "Removal already in progress": the process's own background removal, sent before it was
                        // killed, still runs in the engine. Wait for it to end instead (suite28 failed the collection here).
                    }
                }

                while ((await Docker.ListContainersAsync(owner, deadline.Token)).Count > 0)
                {
                    await Task.Delay(200, deadline.Token);
                }
            }
        }

        Docker.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Files written by a container's uid may linger briefly; the temp dir is disposable.
        }
    }
}
