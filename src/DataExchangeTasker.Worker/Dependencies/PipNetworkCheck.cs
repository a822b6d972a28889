using DataExchangeTasker.Configuration;
using DataExchangeTasker.Docker;

namespace DataExchangeTasker.Dependencies;

/// <summary>
/// Index mode's start-up check: <c>TASKER_PIP_NETWORK</c> must exist and be internal (no route out), because the
/// preparation container's only network access must be the operator's index. (An internal network still reaches
/// the host's own listeners at its gateway; the README asks for a firewall rule this check cannot see.)
/// </summary>
public static class PipNetworkCheck
{
    /// <summary>Returns a description of the package source, or throws <see cref="ConfigurationException"/> naming the setting.</summary>
    public static async Task<string> CheckAsync(IDockerEngine docker, DependencyOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(docker);
        ArgumentNullException.ThrowIfNull(options);
        switch (options.Source)
        {
            case DependencySource.Wheelhouse:
                return $"wheelhouse {options.Wheelhouse} ({Directory.EnumerateFiles(options.Wheelhouse!, "*.whl", SearchOption.AllDirectories).Count()} wheels), no network";
            case DependencySource.ImageOnly:
                return "none: requirements.txt must be met by the runner image's own packages";
        }

        var name = options.Network!;
        var network = await docker.InspectNetworkAsync(name, cancellationToken).ConfigureAwait(false);
        if (network is null)
        {
            throw new ConfigurationException($"{Settings.PipNetwork.Name}=\"{name}\" is invalid: expected an existing Docker network (docker network create --internal {name})");
        }

        if (!network.Internal)
        {
            throw new ConfigurationException($"{Settings.PipNetwork.Name}=\"{name}\" is invalid: expected an internal network (created with --internal), so that the preparation container reaches {options.IndexUrl} and nothing else; this one routes outside");
        }

        return $"index {options.IndexUrl} on internal network {name}";
    }
}
