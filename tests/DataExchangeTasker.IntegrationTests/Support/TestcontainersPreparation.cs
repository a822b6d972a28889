using Docker.DotNet;
using DotNet.Testcontainers.Configurations;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// Settings Testcontainers must see before its first use, made here so that a plain <c>dotnet test</c> needs no
/// environment variables or <c>~/.testcontainers.properties</c>.
/// </summary>
internal static class TestcontainersPreparation
{
    private const string ApiVersionVariable = "DOCKER_API_VERSION";
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static bool _done;

    /// <summary>Applies the settings once per process; must run before anything touches Testcontainers.</summary>
    /// <param name="docker">A client that negotiates its API version with the engine.</param>
    /// <param name="cancellationToken">Cancels the version query.</param>
    public static async Task EnsureAsync(IDockerClient docker, CancellationToken cancellationToken)
    {
        await Gate.WaitAsync(cancellationToken);
        try
        {
            if (_done)
            {
                return;
            }

            // Testcontainers speaks a fixed API version (1.44) unless DOCKER_API_VERSION names one, and Docker 20.10
            // answers at most 1.41: use what this engine speaks. It is read when TestcontainersSettings initialises,
            // so this must come first. Child processes inherit it; for them it is equally true.
            if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ApiVersionVariable)))
            {
                var version = await docker.System.GetVersionAsync(cancellationToken);
                Environment.SetEnvironmentVariable(ApiVersionVariable, version.APIVersion);
            }

            // Ryuk, the reaper container, comes from a registry, and none is reachable here. Broker containers are
            // removed by their own disposal and, after a crashed test host, by BrokerLeftoverSweep.
            TestcontainersSettings.ResourceReaperEnabled = false;
            _done = true;
        }
        finally
        {
            Gate.Release();
        }
    }
}
