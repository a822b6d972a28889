using DataExchangeTasker.Docker;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>The Docker engine and the runner image the sandbox tests need; their absence fails the run, never skips it.</summary>
public static class EngineRequirement
{
    /// <summary>
    /// The runner image under test: <c>TASKER_TEST_RUNNER_IMAGE</c>, by default the one scripts/setup.sh builds from
    /// runner-image/ (<c>dataexchange-tasker-runner:latest</c>).
    /// </summary>
    public static string RunnerImage { get; } =
        Environment.GetEnvironmentVariable("TASKER_TEST_RUNNER_IMAGE") is { Length: > 0 } image ? image : "dataexchange-tasker-runner:latest";

    /// <summary>
    /// The R runner image under test: <c>TASKER_TEST_RUNNER_R_IMAGE</c>, by default the one scripts/setup.sh builds from
    /// runner-image/r/ (<c>dataexchange-tasker-runner-r:latest</c>).
    /// </summary>
    public static string RRunnerImage { get; } =
        Environment.GetEnvironmentVariable("TASKER_TEST_RUNNER_R_IMAGE") is { Length: > 0 } image ? image : "dataexchange-tasker-runner-r:latest";

    /// <summary>
    /// The OCI runtime of every tasker the tests start: <c>TASKER_TEST_RUNTIME</c> (scripts/test.sh runs the sandbox
    /// tests a second time with <c>runsc</c>, gVisor); null for the engine's default runtime.
    /// </summary>
    public static string? Runtime { get; } =
        Environment.GetEnvironmentVariable("TASKER_TEST_RUNTIME") is { Length: > 0 } runtime ? runtime : null;

    /// <summary>True when the tests run under gVisor (<see cref="Runtime"/> is <c>runsc</c>).</summary>
    public static bool UnderGvisor => Runtime == "runsc";

    /// <summary>Throws a clear failure when the engine does not answer or the runner image is missing.</summary>
    public static async Task EnsureAsync(DockerEngine docker, CancellationToken cancellationToken)
    {
        try
        {
            await docker.PingAsync(cancellationToken);
        }
        catch (DockerApiException e)
        {
            throw new InvalidOperationException(
                $"Integration tests need a running Docker engine at {docker.Endpoint}: {e.Message}. Run scripts/setup.sh first " +
                "(it installs docker.io and starts dockerd). These tests are never skipped.", e);
        }

        if (await docker.InspectImageAsync(RunnerImage, cancellationToken) is null)
        {
            throw new InvalidOperationException($"The runner image {RunnerImage} is missing; scripts/setup.sh builds dataexchange-tasker-runner:latest (TASKER_TEST_RUNNER_IMAGE picks another).");
        }
    }
}
