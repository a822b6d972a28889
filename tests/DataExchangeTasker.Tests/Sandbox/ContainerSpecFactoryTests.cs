using DataExchangeTasker.Configuration;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox;
using DataExchangeTasker.Tests.Support;
using Docker.DotNet.Models;

namespace DataExchangeTasker.Tests.Sandbox;

public sealed class ContainerSpecFactoryTests
{
    private static readonly SandboxOptions Options = TestOptions.Sandbox("/srv/code", "/srv/data", "/srv/work");

    private static readonly PreparedTask Task = new(
        new StartMessage("task-42", "demo1_code", "demo1_data"),
        new ResolvedPath("/srv/code/demo1_code", "/tmp/code/demo1_code", true),
        new ResolvedPath("/srv/data/demo 1:data", "/tmp/data/demo 1:data", true),
        "/tmp/code/demo1_code/run.py",
        new EffectiveLimits(TimeSpan.FromSeconds(30), 256L * 1024 * 1024, 0.5, 64));

    private static readonly WorkFolder Work = new("/srv/work/tasker-abc");

    private static CreateContainerParameters Create(SandboxOptions? options = null, DateTimeOffset? keepUntil = null) =>
        new ContainerSpecFactory(options ?? Options, "tasker-host-1").Create(Task, Work, keepUntil);

    [Fact]
    public void Create_Network_IsDisabledEntirely()
    {
        var request = Create();

        Assert.True(request.NetworkDisabled);
        Assert.Equal("none", request.HostConfig!.NetworkMode);
    }

    [Fact]
    public void Create_Privileges_AreDropped()
    {
        var host = Create().HostConfig!;

        Assert.False(host.Privileged);
        Assert.Equal(["ALL"], host.CapDrop);
        Assert.Equal(["no-new-privileges"], host.SecurityOpt);
        Assert.True(host.ReadonlyRootfs);
        Assert.Equal("private", host.IpcMode);
        Assert.False(host.AutoRemove);
        Assert.Null(host.RestartPolicy);
    }

    [Fact]
    public void Create_RunsAsTheConfiguredUnprivilegedUser()
    {
        Assert.Equal("65534:65534", Create().User);
    }

    [Fact]
    public void Create_Memory_HasNoExtraSwap()
    {
        var host = Create().HostConfig!;

        Assert.Equal(256L * 1024 * 1024, host.Memory);
        Assert.Equal(host.Memory, host.MemorySwap);
    }

    [Fact]
    public void Create_CpusAndPids_ComeFromTheTaskLimits()
    {
        var host = Create().HostConfig!;

        Assert.Equal(500_000_000L, host.NanoCPUs);
        Assert.Equal(64L, host.PidsLimit);
    }

    [Fact]
    public void Create_Ulimits_CapFileSizeOpenFilesAndCoreDumps()
    {
        var ulimits = Create(Options with { FileSizeLimitBytes = 1234567, OpenFilesLimit = 99 }).HostConfig!.Ulimits;

        Assert.NotNull(ulimits);
        Assert.Equal(
            [("core", 0L, 0L), ("fsize", 1234567L, 1234567L), ("nofile", 99L, 99L)],
            ulimits.Select(u => (u.Name, u.Soft, u.Hard)).Order());
    }

    [Fact]
    public void Create_CodeAndData_AreMountedReadOnlyFromCanonicalHostPaths()
    {
        var mounts = Create().HostConfig!.Mounts;

        Assert.NotNull(mounts);
        var code = Assert.Single(mounts, m => m.Target == "/tmp/code/demo1_code");
        var data = Assert.Single(mounts, m => m.Target == "/tmp/data/demo 1:data");
        Assert.Equal(("bind", "/srv/code/demo1_code", true), (code.Type, code.Source, code.ReadOnly == true));
        Assert.Equal(("bind", "/srv/data/demo 1:data", true), (data.Type, data.Source, data.ReadOnly == true));
    }

    [Fact]
    public void Create_OnlyTheWorkFolderAtTmpOut_IsWritable()
    {
        var mounts = Create().HostConfig!.Mounts;

        Assert.NotNull(mounts);
        Assert.Equal(3, mounts.Count);
        var writable = Assert.Single(mounts, m => m.ReadOnly != true);
        Assert.Equal(("bind", "/srv/work/tasker-abc", "/tmp/out"), (writable.Type, writable.Source, writable.Target));
        Assert.All(mounts, m => Assert.Equal("rprivate", m.BindOptions?.Propagation));
    }

    [Fact]
    public void Create_DockerSocket_IsNeverMounted()
    {
        var request = Create();

        Assert.All(request.HostConfig!.Mounts!, m =>
        {
            Assert.DoesNotContain("docker.sock", m.Source, StringComparison.Ordinal);
            Assert.DoesNotContain("docker.sock", m.Target, StringComparison.Ordinal);
        });
        Assert.All(request.Env!, e => Assert.DoesNotContain("DOCKER_HOST", e, StringComparison.Ordinal));
    }

    [Fact]
    public void Create_Tmp_IsASmallNoExecTmpfs()
    {
        var tmpfs = Create().HostConfig!.Tmpfs;

        Assert.NotNull(tmpfs);
        var options = Assert.Single(tmpfs).Value;
        Assert.Equal("/tmp", tmpfs.Keys.Single());
        Assert.Contains("noexec", options, StringComparison.Ordinal);
        Assert.Contains("nosuid", options, StringComparison.Ordinal);
        Assert.Contains("nodev", options, StringComparison.Ordinal);
        Assert.Contains($"size={64L * 1024 * 1024}", options, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("runsc")]
    public void Create_Runtime_IsPassedThrough(string? runtime)
    {
        Assert.Equal(runtime, Create(Options with { Runtime = runtime }).HostConfig!.Runtime);
    }

    [Fact]
    public void Create_Labels_IdentifyTheTaskTheOwnerAndTheWorkFolder()
    {
        var labels = Create().Labels;

        Assert.NotNull(labels);
        Assert.Equal("1", labels[ContainerLabels.Managed]);
        Assert.Equal("task-42", labels[ContainerLabels.TaskId]);
        Assert.Equal("tasker-host-1", labels[ContainerLabels.Owner]);
        Assert.Equal("/srv/work/tasker-abc", labels[ContainerLabels.WorkFolder]);
        Assert.False(labels.ContainsKey(ContainerLabels.KeepUntil));
    }

    [Fact]
    public void Create_Command_RunsTraceRunWithEntryAndData()
    {
        var request = Create();

        Assert.Equal("dataexchange-tasker-runner:test", request.Image);
        Assert.Equal(["/usr/local/bin/tracerun.sh"], request.Entrypoint);
        Assert.Equal(["/tmp/code/demo1_code/run.py", "/tmp/data/demo 1:data"], request.Cmd);
        Assert.Equal("/tmp", request.WorkingDir);
        Assert.Contains("STRACE_FILTER=%file,%network,%process", request.Env!);
        Assert.DoesNotContain(request.Env!, e => e.StartsWith("KEEP_ALIVE_SECONDS=", StringComparison.Ordinal));
        Assert.False(request.Tty);
        Assert.Equal(TimeSpan.FromSeconds(1), request.StopTimeout);
    }

    [Fact]
    public void Create_KeepAlive_AddsSecondsAndKeepUntilLabel()
    {
        var until = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

        var request = Create(Options with { KeepAliveTimeout = TimeSpan.FromSeconds(900) }, until);

        Assert.Contains("KEEP_ALIVE_SECONDS=900", request.Env!);
        Assert.Equal(until.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), request.Labels![ContainerLabels.KeepUntil]);
    }

    [Fact]
    public void Create_EngineLog_IsBounded()
    {
        var log = Create().HostConfig!.LogConfig;

        Assert.NotNull(log);
        Assert.Equal("json-file", log.Type);
        Assert.Equal("1m", log.Config!["max-size"]);
    }

    [Fact]
    public void TaskKey_SameInputs_GiveTheSameSafeName()
    {
        var key = ContainerLabels.TaskKey("host-a", "task/../1 ü");

        Assert.Equal(key, ContainerLabels.TaskKey("host-a", "task/../1 ü"));
        Assert.Matches("^tasker-[0-9a-f]{24}$", key);
        Assert.NotEqual(key, ContainerLabels.TaskKey("host-b", "task/../1 ü"));
        Assert.NotEqual(key, ContainerLabels.TaskKey("host-a", "task/../1 u"));
    }
}
