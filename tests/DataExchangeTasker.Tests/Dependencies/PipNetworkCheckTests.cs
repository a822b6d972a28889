using DataExchangeTasker.Configuration;
using DataExchangeTasker.Dependencies;
using DataExchangeTasker.Tests.Support;
using Docker.DotNet.Models;

namespace DataExchangeTasker.Tests.Dependencies;

public sealed class PipNetworkCheckTests : IDisposable
{
    private static readonly DependencyOptions Index = DependencyOptions.Default with { IndexUrl = new Uri("http://mirror:3141/simple"), Network = "tasker-pip" };

    private readonly FakeDockerEngine _docker = new();
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private Task<string> CheckAsync(DependencyOptions options) =>
        PipNetworkCheck.CheckAsync(_docker, options, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

    [Fact]
    public async Task CheckAsync_NetworkMissing_ThrowsNamingTheSettingAndValue()
    {
        var error = await Assert.ThrowsAsync<ConfigurationException>(() => CheckAsync(Index));

        Assert.Contains("TASKER_PIP_NETWORK=\"tasker-pip\" is invalid", error.Message, StringComparison.Ordinal);
        Assert.Contains("docker network create --internal tasker-pip", error.Message, StringComparison.Ordinal);
        Assert.Contains("network tasker-pip", _docker.Calls);
    }

    [Fact]
    public async Task CheckAsync_NetworkNotInternal_ThrowsNamingTheSettingAndValue()
    {
        _docker.Networks["tasker-pip"] = new NetworkResponse { Name = "tasker-pip", Internal = false, Driver = "bridge" };

        var error = await Assert.ThrowsAsync<ConfigurationException>(() => CheckAsync(Index));

        Assert.Contains("TASKER_PIP_NETWORK=\"tasker-pip\" is invalid", error.Message, StringComparison.Ordinal);
        Assert.Contains("internal", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_InternalNetwork_DescribesTheIndexAndNetwork()
    {
        _docker.Networks["tasker-pip"] = new NetworkResponse { Name = "tasker-pip", Internal = true, Driver = "bridge" };

        var description = await CheckAsync(Index);

        Assert.Equal("index http://mirror:3141/simple on internal network tasker-pip", description);
    }

    [Fact]
    public async Task CheckAsync_OtherInternalNetworkOnly_StillThrows()
    {
        _docker.Networks["other"] = new NetworkResponse { Name = "other", Internal = true };

        await Assert.ThrowsAsync<ConfigurationException>(() => CheckAsync(Index));
    }

    [Fact]
    public async Task CheckAsync_WheelhouseMode_NeverInspectsANetwork()
    {
        _temp.WriteFile("a-1.0-py3-none-any.whl", "w");
        _temp.WriteFile("sub/b-1.0-py3-none-any.whl", "w");
        _temp.WriteFile("README.txt", "not a wheel");

        var description = await CheckAsync(DependencyOptions.Default with { Wheelhouse = _temp.Path });

        Assert.Equal($"wheelhouse {_temp.Path} (2 wheels), no network", description);
        Assert.DoesNotContain(_docker.Calls, c => c.StartsWith("network", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CheckAsync_ImageOnlyMode_NeverInspectsANetwork()
    {
        var description = await CheckAsync(DependencyOptions.Default);

        Assert.Contains("runner image", description, StringComparison.Ordinal);
        Assert.Empty(_docker.Calls);
    }
}
