using DataExchangeTasker.Docker;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>The Docker engine and the runner image the sandbox tests need; their absence fails the run, never skips it.</summary>
public static class EngineRequirement
{
    /// <summary>
    /// The image scripts/setup.sh builds, or <c>TASKER_TEST_RUNNER_IMAGE</c>: a tag of one's own, for a checkout whose
    /// runner-image/ differs from the one <c>latest</c> was last built from.
    /// </summary>
    public static string RunnerImage { get; } = Environment.GetEnvironmentVariable("TASKER_TEST_RUNNER_IMAGE") is { Length: > 0 } image
        ? image
        : "dataexchange-tasker-runner:latest";

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
            throw new InvalidOperationException($"The runner image {RunnerImage} is missing; scripts/setup.sh builds it.");
        }
    }
}
