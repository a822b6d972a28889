namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// The <c>tasker</c> as it ships: compiled ahead of time by scripts/publish-tasker.sh (NativeAOT), not this build's
/// <c>tasker.dll</c> under the JIT. Code that only the native compiler breaks (reflection it trimmed, run-time code
/// generation) fails only there, so the tests that run it (Cli/ShippedBinaryTests) are the check that it works.
/// <para>
/// scripts/test.sh publishes it beside the tests and names it: <c>TASKER_TEST_SHIPPED_BINARY</c> (its path) and
/// <c>TASKER_TEST_SHIPPED_BINARY_LOCK</c> (a file its publish job holds an <c>flock</c> on until the publish ended).
/// Unset (a plain <c>dotnet test</c>): published here, once per test run, into a temporary folder (about 2 minutes).
/// </para>
/// </summary>
public sealed class ShippedBinary : IDisposable
{
    /// <summary>The longest wait for the publish: it runs at the lowest priority beside the whole suite.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromMinutes(20);

    private readonly Lazy<Task<string>> _path;

    /// <summary>The folder this fixture published into (removed at the end), when it published itself.</summary>
    private string? _ownFolder;

    /// <summary>Creates the fixture; nothing is waited for or published until <see cref="GetPathAsync"/>.</summary>
    public ShippedBinary() => _path = new(LocateOrPublishAsync);

    /// <summary>The published <c>tasker</c>'s path, once it exists (waits for, or runs, the publish).</summary>
    public Task<string> GetPathAsync() => _path.Value;

    private async Task<string> LocateOrPublishAsync()
    {
        if (Environment.GetEnvironmentVariable("TASKER_TEST_SHIPPED_BINARY") is { Length: > 0 } given)
        {
            if (Environment.GetEnvironmentVariable("TASKER_TEST_SHIPPED_BINARY_LOCK") is { Length: > 0 } lockFile)
            {
                await DockerCli.RunProgramAsync("flock", [lockFile, "true"], Deadline, CancellationToken.None);
            }

            return File.Exists(given)
                ? given
                : throw new FileNotFoundException($"TASKER_TEST_SHIPPED_BINARY={given}: no such file after its publish ended (scripts/test.sh prints the publish's log at the end)", given);
        }

        _ownFolder = Directory.CreateTempSubdirectory("tasker-shipped-").FullName;
        await DockerCli.RunProgramAsync(Path.Combine(TaskerFixture.RepositoryRoot(), "scripts", "publish-tasker.sh"), [_ownFolder], Deadline, CancellationToken.None);
        return Path.Combine(_ownFolder, "tasker");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownFolder is not null && Directory.Exists(_ownFolder))
        {
            Directory.Delete(_ownFolder, recursive: true);
        }
    }
}
