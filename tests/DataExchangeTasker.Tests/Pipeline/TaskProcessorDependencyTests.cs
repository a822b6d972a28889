using System.Text;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Dependencies;
using DataExchangeTasker.Health;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Pipeline;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Resilience;
using DataExchangeTasker.Sandbox.Claims;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Sandbox.Run;
using DataExchangeTasker.Sandbox.Spec;
using DataExchangeTasker.Tests.Support;
using Docker.DotNet.Models;
using Serilog.Core;

namespace DataExchangeTasker.Tests.Pipeline;

/// <summary>
/// A code folder's requirements.txt on its way through the processor, with the in-memory engine standing in for
/// pip: the preparation container "installs" by logging pip's status line and offering <c>site/</c> to the copy.
/// (A real pip install needs the real engine: the integration tests.)
/// </summary>
public sealed class TaskProcessorDependencyTests : IDisposable
{
    private const string TaskerId = "unit-host";

    private readonly TempDirectory _temp = new();
    private readonly TaskMetrics _metrics = new();
    private readonly FakeDockerEngine _docker = new();
    private readonly ClaimedContainers _active = new();
    private readonly SandboxOptions _options;
    private readonly DependencyOptions _dependencies;
    private readonly AnswerLedger _ledger;
    private readonly DependencyPreparer _preparer;

    public TaskProcessorDependencyTests()
    {
        _options = TestOptions.Sandbox(_temp.CreateFolder("code"), _temp.CreateFolder("data"), _temp.Combine("work"));
        _dependencies = DependencyOptions.Default with { Root = _temp.Combine("deps"), Wheelhouse = _temp.CreateFolder("wheels"), Timeout = TimeSpan.FromSeconds(20) };
        _temp.WriteFile("code/demo1_code/run.py", "import tiny\nprint(tiny.VALUE)\n");
        _temp.WriteFile("data/demo1_data/people.csv", "a,b\n");
        _ledger = new AnswerLedger(_temp.Combine("work"));
        _preparer = new DependencyPreparer(_docker, _options, _dependencies, TaskerId, _active, Logger.None);
        _docker.OnStart = container =>
        {
            if (IsPreparation(container.Labels))
            {
                PreparationStarted?.Invoke(container);
            }
            else
            {
                container.SetStream("stdout.txt", "1\n");
                container.SetStream("stderr.txt", "");
                container.SetStream("strace.txt", "execve(\"/usr/bin/python3\") = 0\n");
            }
        };
    }

    /// <summary>What the preparation container does when started (pip's part).</summary>
    private Action<FakeContainer>? PreparationStarted { get; set; }

    public void Dispose()
    {
        _preparer.Dispose();
        foreach (var entry in _preparer.Cache.Entries().ToList())
        {
            DependencyCache.Discard(entry);
        }

        _metrics.Dispose();
        _temp.Dispose();
    }

    private static bool IsPreparation(IDictionary<string, string>? labels) =>
        labels is not null && labels.TryGetValue(PreparationSpecFactory.RoleLabel, out var role) && role == "prepare";

    private static bool IsPreparation(IReadOnlyDictionary<string, string> labels) =>
        labels.TryGetValue(PreparationSpecFactory.RoleLabel, out var role) && role == "prepare";

    private static void InstallsTiny(FakeContainer container)
    {
        container.Out["site/tiny/__init__.py"] = "VALUE = 1\n"u8.ToArray();
        container.AppendLog("Processing /opt/tasker/wheels/tiny-1.0-py3-none-any.whl");
        container.AppendLog("Successfully installed tiny-1.0");
        container.AppendLog(PreparationSpecFactory.StatusPrefix + "0");
    }

    private TaskProcessor Processor()
    {
        var runner = new SandboxRunner(_docker, _options, new ContainerSpecFactory(_options, TaskerId), TaskerId, Logger.None, _metrics);
        return new TaskProcessor(new TaskPreparer(_options), runner, _active, _ledger, RetryPipelines.EngineCalls(3).WithoutDelays(), Logger.None, dependencies: _preparer);
    }

    private async Task<DoneMessage> ProcessToDone(string taskId = "t-1")
    {
        var body = $$"""{"taskId":"{{taskId}}","codePath":"demo1_code","dataPath":"demo1_data"}""";
        var delivery = new InboundDelivery(Encoding.UTF8.GetBytes(body), false, null, null, null, "application/json", new RecordingSettlement());
        var outcome = await Processor().ProcessAsync(delivery, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        return Assert.IsType<AnswerOutcome>(outcome).Done;
    }

    private List<CreateContainerParameters> Preparations => [.. _docker.CreateRequests.Where(r => IsPreparation(r.Labels))];

    private List<CreateContainerParameters> Runs => [.. _docker.CreateRequests.Where(r => !IsPreparation(r.Labels))];

    [Fact]
    public async Task ProcessAsync_RequirementsWithEditableLine_AnswersDependenciesFailedWithoutAnyContainer()
    {
        _temp.WriteFile("code/demo1_code/requirements.txt", "tiny==1.0\n-e .\n");

        var done = await ProcessToDone();

        Assert.Equal(TaskStates.Error, done.State);
        Assert.Equal(Reasons.DependenciesFailed, done.Reason);
        Assert.Contains("requirements.txt line 2 \"-e .\" is not accepted", done.Output, StringComparison.Ordinal);
        Assert.Contains("The code did not run.", done.Output, StringComparison.Ordinal);
        Assert.Null(done.ContainerOutput);
        Assert.Null(done.ExitCode);
        Assert.Empty(_docker.CreateRequests);
        Assert.DoesNotContain(_docker.Calls, c => c.StartsWith("create", StringComparison.Ordinal) || c.StartsWith("start", StringComparison.Ordinal));
        Assert.Empty(_preparer.Cache.Entries());
    }

    [Fact]
    public async Task ProcessAsync_NoRequirementsFile_RunsWithoutPreparationOrDepsMount()
    {
        var done = await ProcessToDone();

        Assert.Equal(TaskStates.Success, done.State);
        var run = Assert.Single(_docker.CreateRequests);
        Assert.False(IsPreparation(run.Labels));
        Assert.DoesNotContain(run.HostConfig!.Mounts!, m => m.Target == ContainerSpecFactory.DependenciesMount);
        Assert.DoesNotContain(run.Env!, e => e.StartsWith("PYTHONPATH=", StringComparison.Ordinal));
        Assert.DoesNotContain(_docker.Calls, c => c.Contains("tasker-deps-", StringComparison.Ordinal));
        Assert.False(Directory.Exists(_dependencies.Root) && Directory.EnumerateFileSystemEntries(_dependencies.Root).Any());
    }

    [Fact]
    public async Task ProcessAsync_RequirementsInstalled_RunMountsTheCachedSiteReadOnlyOnPythonPath()
    {
        _temp.WriteFile("code/demo1_code/requirements.txt", "tiny==1.0\n");
        PreparationStarted = InstallsTiny;

        var done = await ProcessToDone();

        Assert.Equal(TaskStates.Success, done.State);
        var preparation = Assert.Single(Preparations);
        var run = Assert.Single(Runs);
        Assert.True(_docker.CreateRequests.IndexOf(preparation) < _docker.CreateRequests.IndexOf(run), "installed before the run is created");
        var deps = Assert.Single(run.HostConfig!.Mounts!, m => m.Target == ContainerSpecFactory.DependenciesMount);
        Assert.True(deps.ReadOnly);
        Assert.Equal(Path.Combine(_dependencies.Root, preparation.Labels![PreparationSpecFactory.KeyLabel], "site"), deps.Source);
        Assert.Equal("VALUE = 1\n", File.ReadAllText(Path.Combine(deps.Source!, "tiny", "__init__.py")));
        Assert.Contains("PYTHONPATH=" + ContainerSpecFactory.DependenciesMount, run.Env!);
        Assert.Contains("Successfully installed tiny-1.0", File.ReadAllText(Path.Combine(_dependencies.Root, preparation.Labels[PreparationSpecFactory.KeyLabel], "pip.log")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessAsync_PreparationContainer_SeesOnlyTheSnapshotsRequirementsAndTheWheelhouse()
    {
        _temp.WriteFile("code/demo1_code/requirements.txt", "tiny==1.0\n");
        PreparationStarted = InstallsTiny;

        await ProcessToDone();

        var preparation = Assert.Single(Preparations);
        Assert.Equal("none", preparation.HostConfig!.NetworkMode);
        Assert.True(preparation.NetworkDisabled);
        Assert.Equal(
            [(PreparationSpecFactory.RequirementsPath, true), (PreparationSpecFactory.WheelsPath, true)],
            preparation.HostConfig.Mounts!.Select(m => (m.Target, m.ReadOnly)).Order());
        var requirements = Assert.Single(preparation.HostConfig.Mounts!, m => m.Target == PreparationSpecFactory.RequirementsPath);
        Assert.StartsWith(_options.SnapshotRoot + "/", requirements.Source, StringComparison.Ordinal);
        Assert.EndsWith("/requirements.txt", requirements.Source, StringComparison.Ordinal);
        Assert.DoesNotContain(preparation.HostConfig.Mounts!, m => m.Source!.StartsWith(_options.DataRoot, StringComparison.Ordinal));
        // Removed once its site was copied out.
        Assert.Null(_docker.Find(_docker.Calls.First(c => c.StartsWith("create tasker-deps-", StringComparison.Ordinal))["create ".Length..]));
    }

    [Fact]
    public async Task ProcessAsync_SameRequirementsForASecondTask_ReusesTheCacheWithoutASecondPreparation()
    {
        _temp.WriteFile("code/demo1_code/requirements.txt", "tiny==1.0\n");
        PreparationStarted = InstallsTiny;

        var first = await ProcessToDone("t-1");
        var second = await ProcessToDone("t-2");

        Assert.Equal((TaskStates.Success, TaskStates.Success), (first.State, second.State));
        Assert.Single(Preparations);
        Assert.Equal(2, Runs.Count);
        var sites = Runs.Select(r => Assert.Single(r.HostConfig!.Mounts!, m => m.Target == ContainerSpecFactory.DependenciesMount).Source).Distinct().ToList();
        Assert.Single(sites);
    }

    [Fact]
    public async Task ProcessAsync_SameRequirementsConcurrently_InstallsOnce()
    {
        _temp.WriteFile("code/demo1_code/requirements.txt", "tiny==1.0\n");
        var started = new TaskCompletionSource<FakeContainer>(TaskCreationOptions.RunContinuationsAsynchronously);
        PreparationStarted = container =>
        {
            container.Out["site/tiny/__init__.py"] = "VALUE = 1\n"u8.ToArray();
            started.TrySetResult(container);
        };

        var first = ProcessToDone("t-1");
        var preparation = await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var second = ProcessToDone("t-2");
        preparation.AppendLog(PreparationSpecFactory.StatusPrefix + "0");
        var done = await Task.WhenAll(first, second);

        Assert.All(done, d => Assert.Equal(TaskStates.Success, d.State));
        Assert.Single(Preparations);
        Assert.Equal(2, Runs.Count);
    }

    [Fact]
    public async Task ProcessAsync_PipFails_AnswersDependenciesFailedWithPipOutputAndTheCodeNeverRan()
    {
        _temp.WriteFile("code/demo1_code/requirements.txt", "not-in-wheelhouse>=2\n");
        PreparationStarted = container =>
        {
            container.AppendLog("ERROR: No matching distribution found for not-in-wheelhouse>=2");
            container.AppendLog(PreparationSpecFactory.StatusPrefix + "1");
        };

        var done = await ProcessToDone();

        Assert.Equal(TaskStates.Error, done.State);
        Assert.Equal(Reasons.DependenciesFailed, done.Reason);
        Assert.StartsWith("Installing requirements.txt failed (pip exit status 1); the code did not run.", done.Output, StringComparison.Ordinal);
        Assert.Contains("ERROR: No matching distribution found for not-in-wheelhouse>=2", done.Output, StringComparison.Ordinal);
        Assert.Null(done.ExitCode);
        Assert.Single(Preparations);
        Assert.Empty(Runs);
        Assert.Empty(_preparer.Cache.Entries());
        Assert.Empty(Directory.EnumerateDirectories(_dependencies.Root, ".tmp-*"));
    }

    [Theory]
    [InlineData(true, "Installing requirements.txt ran out of memory (TASKER_MEMORY_LIMIT 536870912 bytes, which also holds the installed files); the code did not run.")]
    [InlineData(false, "Installing requirements.txt ended without a status (container exit code 137); the code did not run.")]
    public async Task ProcessAsync_PreparationContainerEndsWithoutPipsStatus_AnswersHowItEnded(bool oomKilled, string expected)
    {
        _temp.WriteFile("code/demo1_code/requirements.txt", "tiny==1.0\n");
        FakeContainer? preparation = null;
        PreparationStarted = container =>
        {
            preparation = container;
            container.AppendLog("Processing /opt/tasker/wheels/tiny-1.0-py3-none-any.whl");
            container.Status = "exited";
            container.ExitCode = 137;
            container.OomKilled = oomKilled;
            container.CloseLog();
        };

        var done = await ProcessToDone();

        Assert.Equal(Reasons.DependenciesFailed, done.Reason);
        Assert.StartsWith(expected, done.Output, StringComparison.Ordinal);
        Assert.Contains("Processing /opt/tasker/wheels/tiny-1.0-py3-none-any.whl", done.Output, StringComparison.Ordinal);
        Assert.Empty(Runs);
        Assert.NotNull(preparation);
        Assert.Null(_docker.Find(preparation.Id));
    }

    [Fact]
    public async Task ProcessAsync_PipFailedBefore_NextTaskTriesAgain()
    {
        _temp.WriteFile("code/demo1_code/requirements.txt", "tiny==1.0\n");
        PreparationStarted = container => container.AppendLog(PreparationSpecFactory.StatusPrefix + "1");
        var failed = await ProcessToDone("t-1");
        PreparationStarted = InstallsTiny;

        var done = await ProcessToDone("t-2");

        Assert.Equal(Reasons.DependenciesFailed, failed.Reason);
        Assert.Equal(TaskStates.Success, done.State);
        Assert.Equal(2, Preparations.Count);
    }
}
