using DataExchangeTasker.Witness;

namespace DataExchangeTasker.Tests.Witness;

public sealed class CgroupContainerIdTests
{
    private const string Id = "b7fb7db439b0b686903a16b8bb596cce413c03ae68bed2f3cb17aed14630155d";

    [Theory]
    [InlineData("12:pids:/docker/" + Id + "\n11:memory:/docker/" + Id + "\n1:name=systemd:/docker/" + Id + "\n")]
    [InlineData("9:name=systemd:/system.slice/docker-" + Id + ".scope\n")]
    [InlineData("0::/system.slice/docker-" + Id + ".scope\n")]
    [InlineData("0::/docker/" + Id + "/inner:with:colons\n")]
    public void Find_CgroupOfAContainerProcess_ReturnsTheContainerId(string text)
    {
        Assert.Equal(Id, CgroupContainerId.Find(text));
    }

    [Theory]
    [InlineData("12:pids:/\n1:name=systemd:/user.slice/user-0.slice/session-1.scope\n")]
    [InlineData("0::/init.scope\n")]
    [InlineData("0::/docker/" + "abc123\n")]
    [InlineData("0::/docker/" + Id + "0\n")]
    [InlineData("no colons at all\n")]
    public void Find_HostProcessOrNoFullId_ReturnsNull(string text)
    {
        Assert.Null(CgroupContainerId.Find(text));
    }
}
