using DataExchangeTasker.Health;
using DataExchangeTasker.Sandbox.Run;
using DataExchangeTasker.Sandbox.Spec;
using DataExchangeTasker.Sandbox.Collection;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Sandbox.Claims;
using DataExchangeTasker.Tests.Support;
using Serilog.Core;

namespace DataExchangeTasker.Tests.Sandbox.Run;

/// <summary>
/// What the runner tells the pipeline about a task's earlier container, in its own words (never Docker's state
/// strings): only a container whose code never started may be replaced by a fresh run.
/// </summary>
public sealed class SandboxRunnerTests : IDisposable
{
    private const string TaskerId = "unit-host";
    private readonly TempDirectory _temp = new();
    private readonly TaskMetrics _metrics = new();
    private readonly FakeDockerEngine _docker = new();
    private readonly SandboxRunner _runner;

    public SandboxRunnerTests()
    {
        var options = TestOptions.Sandbox(_temp.CreateFolder("code"), _temp.CreateFolder("data"), _temp.Combine("work"));
        _runner = new SandboxRunner(_docker, options, new ContainerSpecFactory(options, TaskerId), TaskerId, Logger.None, _metrics);
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task FindAsync_NoContainer_IsNull()
    {
        Assert.Null(await _runner.FindAsync(_runner.KeyOf("t-none"), CancellationToken.None));
    }

    [Fact]
    public async Task FindAsync_CreatedNeverStarted_IsNotStarted()
    {
        var key = _runner.KeyOf("t-created");
        var container = _docker.AddContainer(key.Key, "created");

        var found = await _runner.FindAsync(key, CancellationToken.None);

        Assert.NotNull(found);
        Assert.False(found.Started);
        Assert.Equal(container.Id, found.Id);
    }

    [Theory]
    [InlineData("running")]
    [InlineData("exited")]
    [InlineData("paused")]
    public async Task FindAsync_StartedOnce_IsStarted(string status)
    {
        var key = _runner.KeyOf("t-" + status);
        _docker.AddContainer(key.Key, status);

        var found = await _runner.FindAsync(key, CancellationToken.None);

        Assert.NotNull(found);
        Assert.True(found.Started);
        Assert.Equal(status, found.State);
    }
}
