using DataExchangeTasker.Docker;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Docker;

public sealed class EngineProcessReadsTests
{
    private readonly FakeDockerEngine _docker = new();

    [Fact]
    public async Task MainPidAsync_Running_IsTheHostPidOfItsMainProcess()
    {
        var container = _docker.AddContainer("c-running", "running");
        container.Pid = 31337;

        Assert.Equal(31337, await _docker.MainPidAsync(container.Id, CancellationToken.None));
    }

    [Theory]
    [InlineData("created")]
    [InlineData("exited")]
    public async Task MainPidAsync_NotRunning_IsNull(string status)
    {
        var container = _docker.AddContainer("c-" + status, status);

        Assert.Null(await _docker.MainPidAsync(container.Id, CancellationToken.None));
    }

    [Fact]
    public async Task MainPidAsync_Gone_IsNull()
    {
        Assert.Null(await _docker.MainPidAsync("no-such-container", CancellationToken.None));
    }
}
