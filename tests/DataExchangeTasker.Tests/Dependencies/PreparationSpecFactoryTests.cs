using DataExchangeTasker.Configuration;
using DataExchangeTasker.Dependencies;
using DataExchangeTasker.Sandbox.Spec;
using DataExchangeTasker.Tests.Support;
using Docker.DotNet.Models;

namespace DataExchangeTasker.Tests.Dependencies;

public sealed class PreparationSpecFactoryTests
{
    private const string Key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string ImageId = "sha256:feedfeedfeedfeedfeedfeedfeedfeedfeedfeedfeedfeedfeedfeedfeedfeed";
    private const string RequirementsFile = "/var/lib/snap/abc123/requirements.txt";

    private static readonly SandboxOptions Sandbox = TestOptions.Sandbox("/srv/code", "/srv/data", "/srv/work") with
    {
        MemoryLimitBytes = 300L * 1024 * 1024,
        CpuLimit = 1.5,
        PidsLimit = 77,
        User = "64000:64001",
        Runtime = "runsc",
    };

    private static readonly DependencyOptions Wheelhouse = DependencyOptions.Default with { Wheelhouse = "/srv/wheels" };

    private static readonly DependencyOptions Index = DependencyOptions.Default with { IndexUrl = new Uri("http://mirror:3141/simple"), Network = "tasker-pip" };

    private static readonly DependencyOptions HttpsIndex = DependencyOptions.Default with { IndexUrl = new Uri("https://pypi.example/simple"), Network = "tasker-pip" };

    public static TheoryData<string> Modes => ["image", "wheelhouse", "index"];

    private static DependencyOptions OptionsFor(string mode) => mode switch
    {
        "wheelhouse" => Wheelhouse,
        "index" => Index,
        _ => DependencyOptions.Default,
    };

    private static CreateContainerParameters Create(DependencyOptions options, string taskerId = "host-a") =>
        new PreparationSpecFactory(Sandbox, options, taskerId).Create(Key, RequirementsFile, ImageId, TimeSpan.FromMinutes(10));

    [Theory]
    [MemberData(nameof(Modes))]
    public void Create_AnyMode_MountsNoDataNoCodeFolderOnlyTheRequirementsFileReadOnly(string mode)
    {
        var mounts = Create(OptionsFor(mode)).HostConfig!.Mounts!;

        var requirements = Assert.Single(mounts, m => m.Target == PreparationSpecFactory.RequirementsPath);
        Assert.Equal(("bind", RequirementsFile, true), (requirements.Type, requirements.Source, requirements.ReadOnly));
        Assert.All(mounts, m => Assert.True(m.ReadOnly));
        Assert.All(mounts, m => Assert.False(m.Source!.StartsWith(Sandbox.DataRoot, StringComparison.Ordinal), m.Source));
        Assert.All(mounts, m => Assert.False(m.Source!.StartsWith(Sandbox.CodeRoot, StringComparison.Ordinal), m.Source));
        Assert.DoesNotContain(mounts, m => m.Source == "/var/lib/snap/abc123");
        Assert.Equal(mode == "wheelhouse" ? 2 : 1, mounts.Count);
    }

    [Fact]
    public void Create_WheelhouseMode_MountsTheWheelhouseReadOnly()
    {
        var mounts = Create(Wheelhouse).HostConfig!.Mounts!;

        var wheels = Assert.Single(mounts, m => m.Target == PreparationSpecFactory.WheelsPath);
        Assert.Equal(("bind", "/srv/wheels", true), (wheels.Type, wheels.Source, wheels.ReadOnly));
    }

    [Theory]
    [InlineData("image")]
    [InlineData("wheelhouse")]
    public void Create_WithoutIndex_HasNoNetworkAtAll(string mode)
    {
        var request = Create(OptionsFor(mode));

        Assert.True(request.NetworkDisabled);
        Assert.Equal("none", request.HostConfig!.NetworkMode);
    }

    [Fact]
    public void Create_IndexMode_JoinsOnlyTheConfiguredNetwork()
    {
        var request = Create(Index);

        Assert.False(request.NetworkDisabled);
        Assert.Equal("tasker-pip", request.HostConfig!.NetworkMode);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Create_AnyMode_IsSealedLikeARun(string mode)
    {
        var request = Create(OptionsFor(mode));
        var host = request.HostConfig!;

        Assert.Equal(["ALL"], host.CapDrop);
        Assert.True(host.CapAdd is null || host.CapAdd.Count == 0);
        Assert.Equal(["no-new-privileges", SeccompProfile.SecurityOpt], host.SecurityOpt);
        Assert.True(host.ReadonlyRootfs);
        Assert.False(host.Privileged);
        Assert.Equal("private", host.IpcMode);
        Assert.Equal("runsc", host.Runtime);
        Assert.Equal("64000:64001", request.User);
        Assert.Equal(ImageId, request.Image);
    }

    [Fact]
    public void Create_Limits_ComeFromTheSandboxOptions()
    {
        var host = Create(Wheelhouse).HostConfig!;

        Assert.Equal(300L * 1024 * 1024, host.Memory);
        Assert.Equal(host.Memory, host.MemorySwap);
        Assert.Equal(1_500_000_000L, host.NanoCPUs);
        // Runtime runsc: the code's 77 processes are RLIMIT_NPROC inside gVisor; the cgroup also holds gVisor's own tasks.
        Assert.Equal(256L + (48 * 77), host.PidsLimit);
        Assert.Contains(host.Ulimits!, u => u.Name == "nproc" && u.Soft == 77 && u.Hard == 77);
        Assert.Contains(host.Ulimits!, u => u.Name == "core" && u.Soft == 0 && u.Hard == 0);
        Assert.Contains(host.Ulimits!, u => u.Name == "fsize" && u.Soft == Sandbox.FileSizeLimitBytes);
        Assert.Contains(host.Ulimits!, u => u.Name == "nofile" && u.Soft == Sandbox.OpenFilesLimit);
    }

    [Fact]
    public void Create_InstallFolder_IsATmpfsOwnedByTheCodeUserSizedByTheDepsLimit()
    {
        var tmpfs = Create(DependencyOptions.Default with { SizeLimitBytes = 123456789 }).HostConfig!.Tmpfs!;

        Assert.Equal(["/tmp", PreparationSpecFactory.OutPath], tmpfs.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("size=123456789", tmpfs[PreparationSpecFactory.OutPath], StringComparison.Ordinal);
        Assert.Contains("uid=64000,gid=64001", tmpfs[PreparationSpecFactory.OutPath], StringComparison.Ordinal);
        Assert.All(tmpfs.Values, v => Assert.Contains("noexec", v, StringComparison.Ordinal));
    }

    [Fact]
    public void Create_Labels_MarkAManagedPreparationOfThisTaskerForTheKey()
    {
        var labels = Create(Wheelhouse, "host-a").Labels!;

        Assert.Equal("1", labels[ContainerLabels.Managed]);
        Assert.Equal("host-a", labels[ContainerLabels.Owner]);
        Assert.Equal("prepare", labels[PreparationSpecFactory.RoleLabel]);
        Assert.Equal(Key, labels[PreparationSpecFactory.KeyLabel]);
        Assert.False(labels.ContainsKey(ContainerLabels.TaskId));
    }

    [Fact]
    public void Create_WheelhouseMode_InstallsOfflineFromTheWheelhouseOnlyBinaries()
    {
        var args = Create(Wheelhouse).Cmd!;

        Assert.Equal("install", args[0]);
        Assert.Contains("--only-binary=:all:", args);
        Assert.Contains("--no-index", args);
        Assert.Equal(PreparationSpecFactory.WheelsPath, args[args.IndexOf("--find-links") + 1]);
        Assert.DoesNotContain("--index-url", args);
        Assert.Equal(["-r", PreparationSpecFactory.RequirementsPath], args.TakeLast(2));
    }

    [Fact]
    public void Create_HttpIndexMode_UsesTheIndexAndTrustsOnlyItsHost()
    {
        var args = Create(Index).Cmd!;

        Assert.Contains("--only-binary=:all:", args);
        Assert.Equal("http://mirror:3141/simple", args[args.IndexOf("--index-url") + 1]);
        Assert.Equal("mirror", args[args.IndexOf("--trusted-host") + 1]);
        Assert.DoesNotContain("--no-index", args);
        Assert.DoesNotContain("--find-links", args);
        Assert.DoesNotContain("--extra-index-url", args);
    }

    [Fact]
    public void Create_HttpsIndexMode_TrustsNoHost()
    {
        var args = Create(HttpsIndex).Cmd!;

        Assert.Equal("https://pypi.example/simple", args[args.IndexOf("--index-url") + 1]);
        Assert.DoesNotContain("--trusted-host", args);
    }

    [Fact]
    public void Create_ImageOnlyMode_HasNoPackageSource()
    {
        var args = Create(DependencyOptions.Default).Cmd!;

        Assert.Contains("--no-index", args);
        Assert.Contains("--only-binary=:all:", args);
        Assert.DoesNotContain("--find-links", args);
        Assert.DoesNotContain("--index-url", args);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Create_AnyMode_InstallsIntoThePrefixOnTheTmpfs(string mode)
    {
        var args = Create(OptionsFor(mode)).Cmd!;

        Assert.Equal(PreparationSpecFactory.OutPath + "/prefix", args[args.IndexOf("--prefix") + 1]);
        Assert.DoesNotContain("--target", args);
        Assert.Contains("--no-cache-dir", args);
    }

    [Fact]
    public void Create_Environment_HasNoDataOrProxyVariables()
    {
        var env = Create(Index).Env!;

        Assert.Contains("HOME=/tmp", env);
        Assert.Contains("TASKER_COLLECT_SECONDS=600", env);
        Assert.DoesNotContain(env, e => e.StartsWith("TASKER_DATA", StringComparison.Ordinal) || e.Contains("PROXY", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void NameFor_SameTaskerAndKey_IsTheSame()
    {
        var a = new PreparationSpecFactory(Sandbox, Wheelhouse, "host-a");
        var again = new PreparationSpecFactory(Sandbox, Index, "host-a");

        Assert.Equal(a.NameFor(Key), again.NameFor(Key));
        Assert.Matches("^tasker-deps-[0-9a-f]{24}$", a.NameFor(Key));
    }

    [Fact]
    public void NameFor_OtherTaskerOrKey_Differs()
    {
        var a = new PreparationSpecFactory(Sandbox, Wheelhouse, "host-a");
        var b = new PreparationSpecFactory(Sandbox, Wheelhouse, "host-b");

        Assert.NotEqual(a.NameFor(Key), b.NameFor(Key));
        Assert.NotEqual(a.NameFor(Key), a.NameFor(Key.Replace('0', 'f')));
    }

    [Fact]
    public void NameFor_NeverATaskContainersName()
    {
        // A task whose id is "deps:<key>" must not collide with the preparation for that key.
        var name = new PreparationSpecFactory(Sandbox, Wheelhouse, "host-a").NameFor(Key);

        Assert.NotEqual(ContainerLabels.TaskKey("host-a", "deps:" + Key), name);
    }
}
