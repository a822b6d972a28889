using System.Globalization;

namespace DataExchangeTasker.Witness;

/// <summary>
/// A process of a running container, found from the host's cgroup file system without asking the engine: the
/// first pid in the container's <c>cgroup.procs</c>, under the layouts Docker uses (cgroup v1 or v2, cgroupfs or
/// systemd driver). Any process of the container will do: they share its mount namespace (none of them can make
/// another: no capability allows it).
/// </summary>
internal static class ContainerProcesses
{
    private const string Root = "/sys/fs/cgroup";

    /// <summary>A pid in container <paramref name="containerId"/>, or null when no known layout has one.</summary>
    public static int? AnyPid(string containerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        foreach (var folder in Candidates(containerId))
        {
            try
            {
                foreach (var line in File.ReadLines(Path.Combine(folder, "cgroup.procs")))
                {
                    if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0)
                    {
                        return pid;
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not this layout.
            }
        }

        return null;
    }

    /// <summary>The cgroup folders a Docker container may have, most likely first.</summary>
    internal static IEnumerable<string> Candidates(string containerId)
    {
        foreach (var hierarchy in new[] { "pids", "memory", "unified", "" })
        {
            var root = hierarchy.Length == 0 ? Root : Path.Combine(Root, hierarchy);
            yield return Path.Combine(root, "docker", containerId);
            yield return Path.Combine(root, "system.slice", $"docker-{containerId}.scope");
        }
    }
}
