using DataExchangeTasker.Configuration;
using DataExchangeTasker.Dependencies;
using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;
using Docker.DotNet.Models;

namespace DataExchangeTasker.IntegrationTests.Dependencies;

/// <summary>
/// A code folder's requirements.txt (issue 15), on the real engine and runner image: installed once from a wheelhouse
/// the test builds, in a preparation container with no data and no network, reused by later tasks, mounted read-only.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RequirementsTests(TaskerFixture fixture)
{
    private const string ProbeRunPy = """
        import errno
        import tasker_probe
        print(tasker_probe.answer())
        print(tasker_probe.__file__)
        try:
            open("/opt/tasker/deps/planted.py", "w")
            print("wrote")
        except OSError as e:
            print(errno.errorcode[e.errno])
        """;

    [Fact]
    public async Task Run_RequirementsFromWheelhouse_InstallsOnceWithoutDataOrNetworkAndSecondTaskReusesIt()
    {
        var wheelhouse = Wheelhouse("wh-once");
        var code = CodeWithRequirements("deps-once", ProbeRunPy, "tasker-probe==1.0.0\n");
        var data = fixture.WriteData("deps-once.txt", "secret data");
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?>() { [Settings.Wheelhouse.Name] = wheelhouse });
        await using var watch = PreparationWatch.Follow(fixture.Docker, tasker.Options.TaskerId);

        var first = await tasker.RunAsync(new StartMessage("deps-1", code, data), TimeSpan.FromMinutes(3));
        var second = await tasker.RunAsync(new StartMessage("deps-2", code, data), TimeSpan.FromMinutes(3));

        foreach (var done in new[] { first, second })
        {
            Assert.True(TaskStates.Success == done.State, $"{done.TaskId}: {done.State} {done.Reason}: {done.Output} {done.ContainerOutput?.Stderr}");
            // Installed from the wheelhouse, imported from the read-only mount, which the code cannot write.
            Assert.Equal("42\n/opt/tasker/deps/tasker_probe/__init__.py\nEROFS\n", done.ContainerOutput!.Stdout);
        }

        var preparations = await watch.CreatedAsync(fixture.Docker, tasker.Options.TaskerId, EngineRequirement.RunnerImage);
        var prepared = Assert.Single(preparations);
        Assert.NotNull(prepared);
        var mounts = prepared.Mounts.Select(m => (m.Source, m.Destination, m.RW)).OrderBy(m => m.Destination, StringComparer.Ordinal).ToList();
        // Exactly two read-only mounts: the one requirements file of the code snapshot, and the wheelhouse.
        Assert.Equal(
            [(mounts[0].Source, PreparationSpecFactory.RequirementsPath, false), (wheelhouse, PreparationSpecFactory.WheelsPath, false)],
            mounts);
        Assert.StartsWith(tasker.Options.Sandbox.SnapshotRoot + "/", mounts[0].Source, StringComparison.Ordinal);
        Assert.EndsWith("/requirements.txt", mounts[0].Source, StringComparison.Ordinal);
        Assert.DoesNotContain(prepared.Mounts, m => m.Source.StartsWith(fixture.DataRoot, StringComparison.Ordinal) || m.Source.StartsWith(fixture.CodeRoot, StringComparison.Ordinal));
        Assert.Equal("none", prepared.HostConfig!.NetworkMode);
        Assert.True(prepared.Config!.NetworkDisabled);
        Assert.Empty(prepared.NetworkSettings!.Networks); // not even a loopback-only "none" endpoint: networking is disabled
        Assert.Contains("ALL", prepared.HostConfig!.CapDrop);
        Assert.True(prepared.HostConfig!.CapAdd is null or { Count: 0 });
        Assert.True(prepared.HostConfig!.ReadonlyRootfs);
        Assert.Contains("no-new-privileges", prepared.HostConfig!.SecurityOpt);
        Assert.Equal("64000:64000", prepared.Config!.User);
        Assert.Equal(tasker.Options.Sandbox.MemoryLimitBytes, prepared.HostConfig!.Memory);

        // One cache entry, nothing half-made left; the run mounted that entry read-only.
        var entry = Assert.Single(Directory.GetDirectories(tasker.Options.Dependencies.Root));
        Assert.True(File.Exists(Path.Combine(entry, "site", "tasker_probe", "__init__.py")));
        Assert.Contains("Successfully installed tasker-probe-1.0.0", await File.ReadAllTextAsync(Path.Combine(entry, "pip.log")));
        Assert.Contains("tasker_dependency_installs_total{result=\"installed\"} 1\n", tasker.MetricsText(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(entry, "site", "planted.py")));
    }

    [Fact]
    public async Task Run_TwoTasksWithSameNewRequirementsTogether_ShareOneInstall()
    {
        var wheelhouse = Wheelhouse("wh-together");
        var code = CodeWithRequirements("deps-together", "import tasker_probe\nprint(tasker_probe.answer())\n", "tasker-probe\n");
        var data = fixture.WriteData("deps-together.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?>() { [Settings.Wheelhouse.Name] = wheelhouse, [Settings.Concurrency.Name] = "2" });
        await using var watch = PreparationWatch.Follow(fixture.Docker, tasker.Options.TaskerId);

        await tasker.PublishAsync(new StartMessage("deps-t1", code, data));
        await tasker.PublishAsync(new StartMessage("deps-t2", code, data));
        var answers = await tasker.CollectResultsAsync(2, TimeSpan.FromMinutes(3));

        Assert.All(answers, done => Assert.True(TaskStates.Success == done.State && done.ContainerOutput!.Stdout == "42\n", $"{done.TaskId}: {done.State} {done.Reason}: {done.Output}"));
        Assert.Single(await watch.CreatedAsync(fixture.Docker, tasker.Options.TaskerId, EngineRequirement.RunnerImage));
    }

    [Fact]
    public async Task Run_TwoTaskersSharingTheCacheGetSameRequirementsTogether_InstallOnce()
    {
        var wheelhouse = Wheelhouse("wh-shared");
        var code = CodeWithRequirements("deps-shared", "import tasker_probe\nprint(tasker_probe.answer())\n", "tasker-probe>=1\n");
        var data = fixture.WriteData("deps-shared.txt", "x");
        var shared = Path.Combine(fixture.Root, "deps-shared-" + Guid.NewGuid().ToString("N")[..8]);
        var settings = new Dictionary<string, string?> { [Settings.Wheelhouse.Name] = wheelhouse, [Settings.DepsRoot.Name] = shared };
        await using var one = await InProcessTasker.StartAsync(fixture, settings);
        await using var two = await InProcessTasker.StartAsync(fixture, settings);
        await using var watchOne = PreparationWatch.Follow(fixture.Docker, one.Options.TaskerId);
        await using var watchTwo = PreparationWatch.Follow(fixture.Docker, two.Options.TaskerId);

        await Task.WhenAll(one.PublishAsync(new StartMessage("deps-s1", code, data)), two.PublishAsync(new StartMessage("deps-s2", code, data)));
        var answers = (await Task.WhenAll(one.CollectResultsAsync(1, TimeSpan.FromMinutes(3)), two.CollectResultsAsync(1, TimeSpan.FromMinutes(3)))).SelectMany(a => a).ToList();

        Assert.All(answers, done => Assert.True(TaskStates.Success == done.State && done.ContainerOutput!.Stdout == "42\n", $"{done.TaskId}: {done.State} {done.Reason}: {done.Output}"));
        // The lock file makes the second tasker wait for the first one's install and then use it.
        var created = (await watchOne.CreatedAsync(fixture.Docker, one.Options.TaskerId, EngineRequirement.RunnerImage)).Count
            + (await watchTwo.CreatedAsync(fixture.Docker, two.Options.TaskerId, EngineRequirement.RunnerImage)).Count;
        Assert.Equal(1, created);
        Assert.Single(Directory.GetDirectories(shared));
    }

    [Fact]
    public async Task Run_RequirementMissingFromWheelhouse_EndsDependenciesFailedAndCodeNeverRuns()
    {
        var wheelhouse = Wheelhouse("wh-missing");
        var code = CodeWithRequirements("deps-missing", "print('ran')\n", "tasker-probe\nnot-in-wheelhouse>=2\n");
        var data = fixture.WriteData("deps-missing.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?>() { [Settings.Wheelhouse.Name] = wheelhouse });
        await using var starts = DockerEvents.FollowStarts(tasker.Options.TaskerId);

        var done = await tasker.RunAsync(new StartMessage("deps-missing", code, data), TimeSpan.FromMinutes(3));

        Assert.Equal(TaskStates.Error, done.State);
        Assert.Equal(Reasons.DependenciesFailed, done.Reason);
        Assert.StartsWith("Installing requirements.txt failed (pip exit status 1); the code did not run.", done.Output, StringComparison.Ordinal);
        Assert.Contains("No matching distribution found for not-in-wheelhouse>=2", done.Output, StringComparison.Ordinal);
        Assert.Contains("tasker_dependency_installs_total{result=\"failed\"} 1\n", tasker.MetricsText(), StringComparison.Ordinal);
        Assert.Null(done.ContainerOutput);
        Assert.Null(done.ExitCode);
        Assert.Empty(await tasker.ContainersAsync(fixture));
        // Only the preparation container started (it has no task-id label): no task container ever did.
        Assert.Empty(starts.TaskIds);
        Assert.Empty(Directory.GetDirectories(tasker.Options.Dependencies.Root));
    }

    [Fact]
    public async Task Run_RequirementsNamingAnotherIndexOrAUrl_EndDependenciesFailedWithoutAnyContainer()
    {
        var wheelhouse = Wheelhouse("wh-refused");
        var index = CodeWithRequirements("deps-index", "print('ran')\n", "# pinned\n--index-url https://evil.example/simple\ntasker-probe\n");
        var url = CodeWithRequirements("deps-url", "print('ran')\n", "tasker-probe @ https://evil.example/tasker_probe-1.0.0-py3-none-any.whl\n");
        var data = fixture.WriteData("deps-refused.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?>() { [Settings.Wheelhouse.Name] = wheelhouse });
        await using var watch = PreparationWatch.Follow(fixture.Docker, tasker.Options.TaskerId);

        var byIndex = await tasker.RunAsync(new StartMessage("deps-index", index, data));
        var byUrl = await tasker.RunAsync(new StartMessage("deps-url", url, data));

        Assert.Equal((TaskStates.Error, Reasons.DependenciesFailed), (byIndex.State, byIndex.Reason));
        Assert.Contains("requirements.txt line 2 \"--index-url https://evil.example/simple\" is not accepted", byIndex.Output, StringComparison.Ordinal);
        Assert.Equal((TaskStates.Error, Reasons.DependenciesFailed), (byUrl.State, byUrl.Reason));
        Assert.Contains("line 1", byUrl.Output, StringComparison.Ordinal);
        Assert.Empty(await watch.CreatedAsync(fixture.Docker, tasker.Options.TaskerId, EngineRequirement.RunnerImage));
    }

    [Fact]
    public async Task Run_NodeWithoutPackageSource_RunsRequirementsTheImageMeetsAndRefusesOthers()
    {
        var met = CodeWithRequirements("deps-image-met", "import pandas\nprint(pandas.__name__)\n", "numpy\npandas>=1.0\n");
        var unmet = CodeWithRequirements("deps-image-unmet", "print('ran')\n", "tasker-probe\n");
        var data = fixture.WriteData("deps-image.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture);

        var ok = await tasker.RunAsync(new StartMessage("deps-image-met", met, data), TimeSpan.FromMinutes(3));
        var refused = await tasker.RunAsync(new StartMessage("deps-image-unmet", unmet, data), TimeSpan.FromMinutes(3));

        Assert.True(TaskStates.Success == ok.State, $"{ok.State} {ok.Reason}: {ok.Output} {ok.ContainerOutput?.Stderr}");
        Assert.Equal("pandas\n", ok.ContainerOutput!.Stdout);
        Assert.Equal((TaskStates.Error, Reasons.DependenciesFailed), (refused.State, refused.Reason));
        Assert.Contains("No matching distribution found for tasker-probe", refused.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_IndexOnInternalNetwork_InstallsFromIndexAndNothingElseIsReachable()
    {
        // A package index (python's http.server over a PEP 503 folder) on an internal network, as an operator would run a mirror.
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var network = "tasker-it-pip-" + suffix;
        var server = "tasker-it-index-" + suffix;
        var simple = Path.Combine(fixture.Root, "index-" + suffix, "simple", "tasker-probe");
        var wheel = Path.GetFileName(WheelBuilder.Write(simple, "tasker-probe", "1.0.0", "def answer():\n    return 42\n"));
        await File.WriteAllTextAsync(Path.Combine(simple, "index.html"), $"<html><body><a href=\"{wheel}\">{wheel}</a></body></html>\n");
        await Docker("network", "create", "--internal", network);
        try
        {
            await Docker("run", "-d", "--name", server, "--network", network, "--user", "64000:64000", "--read-only",
                "-v", Path.Combine(fixture.Root, "index-" + suffix) + ":/srv:ro", EngineRequirement.RunnerImage, "python3", "-m", "http.server", "8000", "--directory", "/srv");
            var code = CodeWithRequirements("deps-index-mode", "import tasker_probe\nprint(tasker_probe.answer())\n", "tasker-probe==1.0.0\n");
            var data = fixture.WriteData("deps-index-mode.txt", "x");
            await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?>()
            {
                [Settings.PipIndexUrl.Name] = $"http://{server}:8000/simple/",
                [Settings.PipNetwork.Name] = network,
            });
            await using var watch = PreparationWatch.Follow(fixture.Docker, tasker.Options.TaskerId);

            var done = await tasker.RunAsync(new StartMessage("deps-index-mode", code, data), TimeSpan.FromMinutes(3));

            Assert.True(TaskStates.Success == done.State, $"{done.State} {done.Reason}: {done.Output} {done.ContainerOutput?.Stderr}");
            Assert.Equal("42\n", done.ContainerOutput!.Stdout);
            var prepared = Assert.Single(await watch.CreatedAsync(fixture.Docker, tasker.Options.TaskerId, EngineRequirement.RunnerImage));
            Assert.Equal(network, prepared!.HostConfig!.NetworkMode);
            Assert.Equal([network], prepared.NetworkSettings!.Networks.Keys);
            Assert.DoesNotContain(prepared.Mounts, m => m.Source.StartsWith(fixture.DataRoot, StringComparison.Ordinal));
        }
        finally
        {
            await Docker("rm", "-f", server);
            await Docker("network", "rm", network);
        }
    }

    [Fact]
    public async Task Run_MirrorThatNeverAnswers_EndsDependenciesFailedAtThePipTimeoutAndRemovesTheContainer()
    {
        // A hung mirror: it accepts connections and never answers; pip alone would wait minutes (timeouts × retries).
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var network = "tasker-it-pip-hung-" + suffix;
        var server = "tasker-it-hung-" + suffix;
        await Docker("network", "create", "--internal", network);
        try
        {
            await Docker("run", "-d", "--name", server, "--network", network, "--user", "64000:64000", "--read-only", EngineRequirement.RunnerImage,
                "python3", "-c", "import socket, time\ns = socket.socket()\ns.bind(('', 8000))\ns.listen(64)\ntime.sleep(3600)");
            var code = CodeWithRequirements("deps-hung", "print('ran')\n", "tasker-probe==1.0.0\n");
            var data = fixture.WriteData("deps-hung.txt", "x");
            await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?>
            {
                [Settings.PipIndexUrl.Name] = $"http://{server}:8000/simple/",
                [Settings.PipNetwork.Name] = network,
                [Settings.PipTimeout.Name] = "10",
            });

            var done = await tasker.RunAsync(new StartMessage("deps-hung", code, data), TimeSpan.FromMinutes(2));

            Assert.Equal((TaskStates.Error, Reasons.DependenciesFailed), (done.State, done.Reason));
            Assert.StartsWith("Installing requirements.txt took longer than TASKER_PIP_TIMEOUT (10 s) and was stopped; the code did not run.", done.Output, StringComparison.Ordinal);
            Assert.Null(done.ContainerOutput);
            Assert.Empty(await tasker.ContainersAsync(fixture));
            Assert.Empty(Directory.GetDirectories(tasker.Options.Dependencies.Root));
        }
        finally
        {
            await Docker("rm", "-f", server);
            await Docker("network", "rm", network);
        }
    }

    [Fact]
    public async Task Run_PackagesLargerThanTheDepsSizeLimit_EndDependenciesFailed()
    {
        var wheelhouse = Path.Combine(fixture.Root, "wh-large");
        // 3 MB of incompressible text (hex of random bytes) in one module, against a 1 MiB install tmpfs.
        WheelBuilder.Write(wheelhouse, "tasker-large", "1.0.0", "BLOB = '" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(1_500_000)) + "'\n");
        var code = CodeWithRequirements("deps-large", "print('ran')\n", "tasker-large\n");
        var data = fixture.WriteData("deps-large.txt", "x");
        await using var tasker = await InProcessTasker.StartAsync(fixture, new Dictionary<string, string?>
        {
            [Settings.Wheelhouse.Name] = wheelhouse,
            [Settings.DepsSizeLimit.Name] = "1m",
        });

        var done = await tasker.RunAsync(new StartMessage("deps-large", code, data), TimeSpan.FromMinutes(2));

        Assert.Equal((TaskStates.Error, Reasons.DependenciesFailed), (done.State, done.Reason));
        Assert.Contains("No space left on device", done.Output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(tasker.Options.Dependencies.Root));
    }

    [Fact]
    public async Task CheckAsync_PipNetworkThatRoutesOutside_IsAConfigurationError()
    {
        var options = DependencyOptions.Default with { IndexUrl = new Uri("http://mirror:3141/simple"), Network = "bridge" };

        var error = await Assert.ThrowsAsync<ConfigurationException>(() => PipNetworkCheck.CheckAsync(fixture.Docker, options, CancellationToken.None));

        Assert.Contains("TASKER_PIP_NETWORK=\"bridge\" is invalid: expected an internal network", error.Message, StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<ConfigurationException>(() => PipNetworkCheck.CheckAsync(fixture.Docker, options with { Network = "no-such-network-" + Guid.NewGuid().ToString("N")[..6] }, CancellationToken.None));
        Assert.Contains("expected an existing Docker network", missing.Message, StringComparison.Ordinal);
    }

    private static Task<string> Docker(params string[] arguments) =>
        DockerCli.RunAsync(null, arguments, TimeSpan.FromSeconds(60), CancellationToken.None);

    private string Wheelhouse(string name)
    {
        var folder = Path.Combine(fixture.Root, name);
        WheelBuilder.Write(folder, "tasker-probe", "1.0.0", "def answer():\n    return 42\n");
        return folder;
    }

    private string CodeWithRequirements(string name, string runPy, string requirements)
    {
        var code = fixture.WriteCode(name, runPy);
        File.WriteAllText(Path.Combine(fixture.CodeRoot, name, "requirements.txt"), requirements);
        return code;
    }
}
