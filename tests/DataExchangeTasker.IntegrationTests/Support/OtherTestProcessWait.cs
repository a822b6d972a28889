namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// Waits, before a collection's first test, until another test process that runs tasks on the same engine has
/// ended: <c>TASKER_TEST_WAIT_FOR_LOCK</c> names a file that process holds an <c>flock</c> on while its tests run
/// (scripts/test.sh: the gVisor lane, beside the main run). Used by the collections that act on every tasker's
/// containers (<c>tasker cleanup</c>), which run alone within their own process but would otherwise overlap the other
/// process. Unset (a plain <c>dotnet test</c>): no wait. The wait is the kernel's (<c>flock FILE true</c>), with a deadline.
/// </summary>
public sealed class OtherTestProcessWait : IAsyncLifetime
{
    /// <summary>The longest wait: longer than the gVisor lane has ever run (≈ 6 min), shorter than CI's limit.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromMinutes(20);

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("TASKER_TEST_WAIT_FOR_LOCK") is { Length: > 0 } path)
        {
            await DockerCli.RunProgramAsync("flock", [path, "true"], Deadline, CancellationToken.None);
        }
    }

    /// <inheritdoc />
    public Task DisposeAsync() => Task.CompletedTask;
}
