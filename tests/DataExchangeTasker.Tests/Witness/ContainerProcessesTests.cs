using DataExchangeTasker.Witness;

namespace DataExchangeTasker.Tests.Witness;

public sealed class ContainerProcessesTests
{
    private const string Id = "b7fb7db439b0b686903a16b8bb596cce413c03ae68bed2f3cb17aed14630155d";

    [Fact]
    public void Candidates_CoverCgroupV1AndV2WithBothDrivers()
    {
        var candidates = ContainerProcesses.Candidates(Id).ToList();

        Assert.Contains($"/sys/fs/cgroup/pids/docker/{Id}", candidates);
        Assert.Contains($"/sys/fs/cgroup/pids/system.slice/docker-{Id}.scope", candidates);
        Assert.Contains($"/sys/fs/cgroup/docker/{Id}", candidates);
        Assert.Contains($"/sys/fs/cgroup/system.slice/docker-{Id}.scope", candidates);
    }

    [Fact]
    public void AnyPid_NoSuchContainer_IsNull()
    {
        Assert.Null(ContainerProcesses.AnyPid(new string('0', 64)));
    }
}
