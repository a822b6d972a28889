using DataExchangeTasker.Configuration;
using DataExchangeTasker.Images;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Sandbox.Spec;
using DataExchangeTasker.Tests.Support;
using Docker.DotNet.Models;

namespace DataExchangeTasker.Tests.Sandbox.Spec;

public sealed class ContainerSpecFactoryTests
{
    private static readonly SandboxOptions Options = TestOptions.Sandbox("/srv/code", "/srv/data", "/srv/work");

    private static readonly PreparedTask Task = new(
        new StartMessage("task-42", "demo1_code", "demo1_data"),
        new ResolvedPath("/srv/code/demo1_code", "/tmp/code/demo1_code", true),
        new CodeSnapshot("abc123", "/var/lib/snap/abc123", "/var/lib/snap/abc123"),
        new ResolvedPath("/srv/data/demo 1:data", "/tmp/data/demo 1:data", true)
        {
            Identity = new FileIdentity(2049, 131),
            Stamp = new FileStamp('d', 4096, (1_700_000_000, 1), (1_700_000_123, 456_789_000)),
        },
        "/tmp/code/demo1_code/run.py",
        new EffectiveLimits(TimeSpan.FromSeconds(30), 256L * 1024 * 1024, 0.5, 64));

    private static CreateContainerParameters Create(SandboxOptions? options = null, DateTimeOffset? keepUntil = null) =>
        new ContainerSpecFactory(options ?? Options, "tasker-host-1").Create(Task, keepUntil);

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
        // Only what the supervisor (pid 1, root) needs for strace (-y included) and the uid drop; the code holds none.
        Assert.Equal(["SYS_PTRACE", "SETUID", "SETGID", "DAC_READ_SEARCH"], host.CapAdd);
        Assert.Equal(["no-new-privileges", SeccompProfile.SecurityOpt], host.SecurityOpt);
        Assert.True(host.ReadonlyRootfs);
        Assert.Equal("private", host.IpcMode);
        Assert.False(host.AutoRemove);
        Assert.Null(host.RestartPolicy);
    }

    [Fact]
    public void Create_SupervisorIsRootAndTheCodeRunsAsTheConfiguredUser()
    {
        var request = Create();

        Assert.Equal("0:0", request.User);
        Assert.Contains("TASKER_CODE_USER=65534:65534", request.Env!);
    }

    [Fact]
    public void Create_DataIdentity_IsPassedForTheSupervisorsCheck()
    {
        var env = Create().Env!;

        Assert.Contains("TASKER_DATA_DEV=2049", env);
        Assert.Contains("TASKER_DATA_INO=131", env);
    }

    [Fact]
    public void Create_DataStamp_IsPassedForTheCheckUnderGvisor()
    {
        var env = Create().Env!;

        // find -printf '%y %s %T@ %C@' inside the container, fractions cut to nine digits, must say exactly this.
        Assert.Contains("TASKER_DATA_STAMP=d 4096 1700000000.000000001 1700000123.456789000", env);
    }

    [Fact]
    public void Create_SeccompProfile_IsSentAsContentWithoutIoUring()
    {
        var host = Create().HostConfig!;

        var entry = Assert.Single(host.SecurityOpt!, o => o.StartsWith("seccomp=", StringComparison.Ordinal));
        using var profile = System.Text.Json.JsonDocument.Parse(entry["seccomp=".Length..]);
        Assert.Equal("SCMP_ACT_ERRNO", profile.RootElement.GetProperty("defaultAction").GetString());
        Assert.DoesNotContain(SeccompProfileTests.Allowed(profile), n => n.StartsWith("io_uring", StringComparison.Ordinal));
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
        // Under runc RLIMIT_NPROC would count the uid's processes in every container at once.
        Assert.DoesNotContain(host.Ulimits!, u => u.Name == "nproc");
    }

    [Fact]
    public void Create_PidsUnderGvisor_AreRlimitNprocInsideAndTheCgroupLeavesRoomForGvisorsOwnTasks()
    {
        var host = Create(Options with { Runtime = "runsc" }).HostConfig!;

        // gVisor's kernel runs in host tasks of the container's pids cgroup (about 45, plus up to about 35 per process
        // of the code): a cgroup of 64 would kill the sandbox, not stop the code's 65th process.
        Assert.Equal(256L + (48 * 64), host.PidsLimit);
        Assert.Contains(host.Ulimits!, u => u.Name == "nproc" && u.Soft == 64 && u.Hard == 64);
    }

    [Fact]
    public void Create_Ulimits_CapFileSizeOpenFilesCoreDumpsAndMessageQueues()
    {
        var ulimits = Create(Options with { FileSizeLimitBytes = 1234567, OpenFilesLimit = 99 }).HostConfig!.Ulimits;

        Assert.NotNull(ulimits);
        Assert.Equal(
            [("core", 0L, 0L), ("fsize", 1234567L, 1234567L), ("msgqueue", 0L, 0L), ("nofile", 99L, 99L)],
            ulimits.Select(u => (u.Name, u.Soft, u.Hard)).Order());
    }

    [Fact]
    public void Create_CodeAndData_AreMountedReadOnlyFromCanonicalHostPaths()
    {
        var mounts = Create().HostConfig!.Mounts;

        Assert.NotNull(mounts);
        var code = Assert.Single(mounts, m => m.Target == "/tmp/code/demo1_code");
        var data = Assert.Single(mounts, m => m.Target == "/tmp/data/demo 1:data");
        // The snapshot whose bytes were hashed, never the live code folder.
        Assert.Equal(("bind", "/var/lib/snap/abc123", true), (code.Type, code.Source, code.ReadOnly == true));
        Assert.Equal(("bind", "/srv/data/demo 1:data", true), (data.Type, data.Source, data.ReadOnly == true));
    }

    [Fact]
    public void Create_NoHostFolder_IsWritable()
    {
        var mounts = Create().HostConfig!.Mounts;

        Assert.NotNull(mounts);
        Assert.Equal(2, mounts.Count);
        Assert.All(mounts, m => Assert.True(m.ReadOnly));
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
    public void Create_WritableFolders_AreNoExecTmpfsInsideTheContainer()
    {
        var tmpfs = Create(Options with { WorkSizeLimitBytes = 5_000_000, FileSizeLimitBytes = 2_000_000 }).HostConfig!.Tmpfs;

        Assert.NotNull(tmpfs);
        Assert.Equal(["/run/tasker", "/tmp", "/tmp/out"], tmpfs.Keys.Order(StringComparer.Ordinal));
        Assert.All(tmpfs.Values, o => Assert.Contains("rw,nosuid,nodev,noexec,", o, StringComparison.Ordinal));
        Assert.EndsWith($"size={64L * 1024 * 1024},mode=1777", tmpfs["/tmp"], StringComparison.Ordinal);
        Assert.EndsWith("size=5000000,mode=0700,uid=65534,gid=65534", tmpfs["/tmp/out"], StringComparison.Ordinal);
        Assert.EndsWith($"size={(3 * 2_000_000) + (1024 * 1024)},mode=0700", tmpfs["/run/tasker"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("runsc")]
    public void Create_Runtime_IsPassedThrough(string? runtime)
    {
        Assert.Equal(runtime, Create(Options with { Runtime = runtime }).HostConfig!.Runtime);
    }

    [Fact]
    public void Create_Labels_IdentifyTheTaskAndTheOwner()
    {
        var labels = Create().Labels;

        Assert.NotNull(labels);
        Assert.Equal("1", labels[ContainerLabels.Managed]);
        Assert.Equal("task-42", labels[ContainerLabels.TaskId]);
        Assert.Equal("tasker-host-1", labels[ContainerLabels.Owner]);
        Assert.Equal(3, labels.Count);
        Assert.False(labels.ContainsKey(ContainerLabels.KeepUntil));
    }

    [Fact]
    public void Create_Command_RunsTheSupervisorWithEntryAndData()
    {
        var request = Create();

        Assert.Equal("dataexchange-tasker-runner:test", request.Image);
        Assert.Equal(["/usr/local/bin/supervise.sh"], request.Entrypoint);
        Assert.Equal(["/tmp/code/demo1_code/run.py", "/tmp/data/demo 1:data"], request.Cmd);
        Assert.Equal("/tmp", request.WorkingDir);
        Assert.Contains("STRACE_FILTER=%file,%network,%process", request.Env!);
        Assert.Contains("TASKER_COLLECT_SECONDS=600", request.Env!);
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
    public void Create_EngineLog_KeepsNoCopyOfTheResultsChannel()
    {
        var request = Create();

        // The supervisor's stdout carries the results; read live through the attach, the engine must not store them.
        Assert.Equal("none", request.HostConfig!.LogConfig!.Type);
        Assert.True(request.OpenStdin, "stdin stays open for the release line");
        Assert.False(request.StdinOnce, "a tasker that goes away must not close the supervisor's stdin");
        Assert.False(request.Tty);
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

    [Fact]
    public void Create_DefaultRunner_UsesConfiguredImageAndNoInterpreter()
    {
        var request = Create();

        Assert.Equal(Options.Image, request.Image);
        Assert.DoesNotContain(request.Env!, e => e.StartsWith("TASKER_INTERPRETER=", StringComparison.Ordinal));
    }

    [Fact]
    public void Create_ApprovedImage_RunsPinnedIdWithItsInterpreter()
    {
        var image = new PinnedImage("r", "dataexchange-tasker-runner-r:latest", "sha256:" + new string('1', 64), "run.R", "Rscript");
        var task = Task with { Entry = "/tmp/code/demo1_code/run.R", Image = image };

        var request = new ContainerSpecFactory(Options, "tasker-host-1").Create(task, null);

        Assert.Equal(image.Id, request.Image);
        Assert.Contains("TASKER_INTERPRETER=Rscript", request.Env!);
        Assert.Equal(["/tmp/code/demo1_code/run.R", "/tmp/data/demo 1:data"], request.Cmd);
    }

    [Fact]
    public void Create_WithDependencySite_MountsItReadOnlyAndPutsItOnPythonPath()
    {
        var task = Task with { DependencySite = "/var/lib/deps/0a1b/site" };

        var request = new ContainerSpecFactory(Options, "tasker-host-1").Create(task, null);

        var deps = Assert.Single(request.HostConfig!.Mounts!, m => m.Target == ContainerSpecFactory.DependenciesMount);
        Assert.Equal(("bind", "/var/lib/deps/0a1b/site", true, "rprivate"), (deps.Type, deps.Source, deps.ReadOnly, deps.BindOptions?.Propagation));
        Assert.Equal("/opt/tasker/deps", ContainerSpecFactory.DependenciesMount);
        Assert.Contains("PYTHONPATH=/opt/tasker/deps", request.Env!);
        Assert.Equal(3, request.HostConfig.Mounts!.Count);
    }

    [Fact]
    public void Create_WithoutDependencySite_HasNeitherMountNorPythonPath()
    {
        var request = Create();

        Assert.DoesNotContain(request.HostConfig!.Mounts!, m => m.Target == ContainerSpecFactory.DependenciesMount);
        Assert.DoesNotContain(request.Env!, e => e.StartsWith("PYTHONPATH=", StringComparison.Ordinal));
    }
}
