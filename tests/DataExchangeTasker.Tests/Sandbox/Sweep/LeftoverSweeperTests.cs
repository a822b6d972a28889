using System.Globalization;
using DataExchangeTasker.Sandbox.Claims;
using DataExchangeTasker.Sandbox.Spec;
using DataExchangeTasker.Sandbox.Sweep;
using DataExchangeTasker.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using Serilog.Core;

namespace DataExchangeTasker.Tests.Sandbox.Sweep;

/// <summary>
/// The sweep of a crashed run's containers: whatever the grace and the backlog, a container a redelivery may still
/// want is never removed while it runs; one that ended stays as long as answers are remembered.
/// </summary>
public sealed class LeftoverSweeperTests : IDisposable
{
    private const string TaskerId = "sweep-test";
    private readonly TempDirectory _temp = new();
    private readonly FakeDockerEngine _docker = new();
    private readonly ClaimedContainers _active = new();

    public void Dispose() => _temp.Dispose();

    // The tests call sweeps themselves; the periodic interval is never reached.
    private LeftoverSweeper Sweeper() => new(_docker, _temp.Combine("snapshots"), TaskerId, TimeSpan.Zero, _active, Logger.None) { Interval = TimeSpan.FromSeconds(30) };

    private LeftoverSweeper SweeperOn(TimeProvider time) => new(_docker, _temp.Combine("snapshots"), TaskerId, TimeSpan.Zero, _active, Logger.None) { Interval = TimeSpan.FromSeconds(30), Time = time };

    private FakeContainer Leftover(string name, string status, DateTimeOffset? deadline = null, DateTimeOffset? finished = null)
    {
        var labels = new Dictionary<string, string> { [ContainerLabels.Managed] = "1", [ContainerLabels.Owner] = TaskerId, [ContainerLabels.TaskId] = name };
        if (deadline is { } d)
        {
            labels[ContainerLabels.Deadline] = d.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        }

        var container = _docker.AddContainer(name, status, labels: labels);
        container.FinishedAt = finished;
        return container;
    }

    [Fact]
    public async Task SweepAsync_RunningWithinItsTimeLimitAndCollectWindow_IsLeftAlone()
    {
        var now = DateTimeOffset.UtcNow;
        Leftover("running-young", "running", deadline: now.AddMinutes(50));
        Leftover("running-in-collect-window", "running", deadline: now.AddMinutes(-5));

        Assert.Equal(0, await Sweeper().SweepAsync(CancellationToken.None));

        Assert.Equal("running", _docker.Find("running-young")!.Status);
        Assert.Equal("running", _docker.Find("running-in-collect-window")!.Status);
        Assert.DoesNotContain(_docker.Calls, c => c.StartsWith("kill", StringComparison.Ordinal) || c.StartsWith("remove", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SweepAsync_RunningPastItsTimeLimitAndCollectWindow_IsKilledButKept()
    {
        var old = Leftover("running-past", "running", deadline: DateTimeOffset.UtcNow - ContainerSpecFactory.CollectWindow - TimeSpan.FromMinutes(2));

        Assert.Equal(0, await Sweeper().SweepAsync(CancellationToken.None));

        Assert.Equal("exited", _docker.Find(old.Name)!.Status);
    }

    [Fact]
    public async Task SweepAsync_Ended_StaysUntilAnswersAreForgottenThenGoes()
    {
        var now = DateTimeOffset.UtcNow;
        Leftover("ended-recently", "exited", finished: now.AddHours(-23));
        Leftover("ended-long-ago", "exited", finished: now.AddHours(-25));
        Leftover("never-started", "created");

        Assert.Equal(2, await Sweeper().SweepAsync(CancellationToken.None));

        Assert.NotNull(_docker.Find("ended-recently"));
        Assert.Null(_docker.Find("ended-long-ago"));
        Assert.Null(_docker.Find("never-started"));
    }

    [Fact]
    public async Task SweepAsync_EndedLongerAgoOnTheGivenClock_IsRemoved()
    {
        // Ended an hour ago by the system clock, but 25 h ago on the sweeper's: its clock decides.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(24));
        Leftover("ended", "exited", finished: DateTimeOffset.UtcNow.AddHours(-1));

        Assert.Equal(1, await SweeperOn(time).SweepAsync(CancellationToken.None));

        Assert.Null(_docker.Find("ended"));
    }

    [Fact]
    public async Task RunAsync_GraceThenEachInterval_SweepsOnTheGivenClock()
    {
        // Grace and interval of hours on a clock the test moves: a sweeper on the system clock would never list.
        var time = new FakeTimeProvider();
        var sweeper = new LeftoverSweeper(_docker, _temp.Combine("snapshots"), TaskerId, TimeSpan.FromHours(1), _active, Logger.None) { Interval = TimeSpan.FromHours(6), Time = time };
        using var stopping = new CancellationTokenSource();
        var running = sweeper.RunAsync(stopping.Token);

        await time.AdvanceUntilAsync(TimeSpan.FromHours(1), () => Lists() >= 1);
        await time.AdvanceUntilAsync(TimeSpan.FromHours(1), () => Lists() >= 2);

        await stopping.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(time.GetUtcNow() - time.Start >= TimeSpan.FromHours(6), "the periodic sweep came before its interval");
    }

    private int Lists() => _docker.Calls.Count(c => c == "list");

    [Fact]
    public async Task SweepAsync_ClaimedByARunningTask_IsNeverTouched()
    {
        var claimed = Leftover("claimed", "exited", finished: DateTimeOffset.UtcNow.AddDays(-3));
        using var claim = await _active.ClaimAsync(claimed.Name, CancellationToken.None);

        Assert.Equal(0, await Sweeper().SweepAsync(CancellationToken.None));

        Assert.NotNull(_docker.Find("claimed"));
    }
}
