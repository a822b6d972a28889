using DataExchangeTasker.Api;
using DataExchangeTasker.Api.Schedules;
using DataExchangeTasker.Api.Store;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Tests.Support;
using Serilog;

namespace DataExchangeTasker.Tests.Api;

/// <summary>The schedule loop's stop: a stop during a round is the end of the loop, not an error of the api's shutdown.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xunit disposes the temp folder through IAsyncLifetime.DisposeAsync.")]
public sealed class ScheduleRunnerTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private SqlTaskStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = SqlTaskStore.Open(Path.Combine(_dir.Path, "db", "t.db"));
        await _store.MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task RunAsync_StoppedWhileARoundWaitsOnTheStore_ReturnsWithoutThrowing()
    {
        // The publisher and the health are only reached when a schedule fires or the store fails: neither happens here.
        var runner = new ScheduleRunner(_store, null!, _ => new TierLimits(1000, 1), TimeSpan.FromMinutes(1),
            new ApiMetrics(), null!, "owner", new LoggerConfiguration().CreateLogger(), TimeProvider.System);
        using var stopped = new CancellationTokenSource();
        await stopped.CancelAsync();

        // Before the fix the round's OperationCanceledException left RunAsync, and ApiHost.DisposeAsync threw it,
        // leaving the api's broker consumers open.
        var run = runner.RunAsync(stopped.Token);

        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(run.IsCompletedSuccessfully);
    }
}
