using Docker.DotNet;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// Checks for the external infrastructure that integration tests need. Missing infrastructure is always a loud failure,
/// never a silent skip: a suite that quietly skips its broker tests looks green while testing nothing.
/// </summary>
public static class Requirements
{
    /// <summary>The broker image scripts/setup.sh builds from <c>broker-image/</c>; tests never pull.</summary>
    public const string BrokerImage = "dataexchange-tasker-rabbitmq:local";

    /// <summary>Throws a clear failure when the engine does not answer or the broker image is missing.</summary>
    /// <exception cref="InvalidOperationException">The image is not there.</exception>
    public static async Task EnsureBrokerImageAsync(IDockerClient docker, CancellationToken cancellationToken)
    {
        try
        {
            await docker.Images.InspectImageAsync(BrokerImage, cancellationToken);
        }
        catch (DockerImageNotFoundException e)
        {
            throw new InvalidOperationException(
                $"The broker image {BrokerImage} is missing: run scripts/setup.sh, which builds it from broker-image/. "
                + "No registry is reachable, so tests never pull it, and they are never skipped.", e);
        }
    }
}
