using System.Text.Json;
using DataExchangeTasker.Sandbox.Spec;

namespace DataExchangeTasker.Tests.Sandbox.Spec;

public sealed class SeccompProfileTests
{
    private static readonly string[] IoUring = ["io_uring_setup", "io_uring_enter", "io_uring_register"];

    [Fact]
    public void SecurityOpt_IsSeccompWithTheCompactProfile()
    {
        Assert.StartsWith("seccomp={", SeccompProfile.SecurityOpt, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', SeccompProfile.SecurityOpt);
        Assert.Equal("seccomp=" + SeccompProfile.Json, SeccompProfile.SecurityOpt);
    }

    [Fact]
    public void Json_IsAnAllowListForX86WithBothSubArchitectures()
    {
        using var profile = JsonDocument.Parse(SeccompProfile.Json);
        var root = profile.RootElement;

        Assert.Equal("SCMP_ACT_ERRNO", root.GetProperty("defaultAction").GetString());
        Assert.Equal(1, root.GetProperty("defaultErrnoRet").GetInt32());
        var arch = Assert.Single(root.GetProperty("archMap").EnumerateArray());
        Assert.Equal("SCMP_ARCH_X86_64", arch.GetProperty("architecture").GetString());
        Assert.Equal(["SCMP_ARCH_X86", "SCMP_ARCH_X32"], arch.GetProperty("subArchitectures").EnumerateArray().Select(a => a.GetString()));
        // What every program needs is there, unconditionally.
        Assert.Superset(new HashSet<string> { "read", "write", "openat", "execve", "mmap", "futex", "exit_group", "seccomp", "prctl" }, Allowed(profile).ToHashSet());
    }

    [Fact]
    public void Json_IoUringAndClone3_AreHandedToTheTracerAndNeverAllowed()
    {
        using var profile = JsonDocument.Parse(SeccompProfile.Json);

        Assert.DoesNotContain(Allowed(profile), n => IoUring.Contains(n) || n == "clone3");
        var traced = Entries(profile).Where(e => e.Action == "SCMP_ACT_TRACE").SelectMany(e => e.Names).ToHashSet();
        Assert.True(traced.SetEquals([.. IoUring, "clone3"]), "SCMP_ACT_TRACE: " + string.Join(", ", traced));
    }

    [Fact]
    public void Json_OpenByHandleAt_IsNeverAllowedEvenWithCapabilities()
    {
        using var profile = JsonDocument.Parse(SeccompProfile.Json);

        // The container grants root CAP_DAC_READ_SEARCH (strace -y); with it, open_by_handle_at opens host files.
        Assert.DoesNotContain(Entries(profile), e => e.Names.Contains("open_by_handle_at"));
    }

    [Fact]
    public void Json_PtraceFamily_IsAllowedOnlyWithSysPtrace()
    {
        using var profile = JsonDocument.Parse(SeccompProfile.Json);

        var ptrace = Assert.Single(Entries(profile), e => e.Names.Contains("ptrace"));
        Assert.Equal(["CAP_SYS_PTRACE"], ptrace.Element.GetProperty("includes").GetProperty("caps").EnumerateArray().Select(c => c.GetString()));
        Assert.Contains("process_vm_readv", ptrace.Names); // strace reads the code's memory with it
    }

    [Theory]
    [InlineData("mount")]
    [InlineData("umount2")]
    [InlineData("unshare")]
    [InlineData("setns")]
    [InlineData("bpf")]
    [InlineData("keyctl")]
    [InlineData("add_key")]
    [InlineData("userfaultfd")]
    [InlineData("perf_event_open")]
    [InlineData("init_module")]
    [InlineData("kexec_load")]
    [InlineData("fsopen")]
    [InlineData("open_tree")]
    [InlineData("chroot")]
    [InlineData("syslog")]
    public void Json_PrivilegedSyscall_IsNotListed(string name)
    {
        using var profile = JsonDocument.Parse(SeccompProfile.Json);

        Assert.DoesNotContain(Entries(profile), e => e.Names.Contains(name));
    }

    [Fact]
    public void Json_Clone_IsAllowedOnlyWithoutNamespaceFlags()
    {
        using var profile = JsonDocument.Parse(SeccompProfile.Json);

        var clone = Assert.Single(Entries(profile), e => e.Names.Contains("clone"));
        var arg = Assert.Single(clone.Element.GetProperty("args").EnumerateArray());
        Assert.Equal(("SCMP_CMP_MASKED_EQ", 0x7E020000L, 0L), (arg.GetProperty("op").GetString(), arg.GetProperty("value").GetInt64(), arg.GetProperty("valueTwo").GetInt64()));
    }

    /// <summary>Names allowed without any condition (no args, no capability).</summary>
    internal static IEnumerable<string> Allowed(JsonDocument profile) =>
        Entries(profile).Where(e => e.Action == "SCMP_ACT_ALLOW" && !e.Element.TryGetProperty("args", out _) && !e.Element.TryGetProperty("includes", out _))
            .SelectMany(e => e.Names);

    private static IEnumerable<(string Action, HashSet<string> Names, JsonElement Element)> Entries(JsonDocument profile) =>
        profile.RootElement.GetProperty("syscalls").EnumerateArray()
            .Select(e => (e.GetProperty("action").GetString()!, e.GetProperty("names").EnumerateArray().Select(n => n.GetString()!).ToHashSet(), e));
}
