namespace DataExchangeTasker.Witness;

/// <summary>
/// The container a process belongs to, read from its <c>/proc/&lt;pid&gt;/cgroup</c>: the 64-hex-digit container id
/// in a cgroup path, whichever driver made it (<c>/docker/&lt;id&gt;</c> with cgroupfs, as on cgroup v1 here;
/// <c>/system.slice/docker-&lt;id&gt;.scope</c> with systemd; v2's single <c>0::</c> line alike). A process cannot
/// move itself to another cgroup: the container's cgroup file system is read-only and it holds no capability.
/// </summary>
internal static class CgroupContainerId
{
    private const int IdLength = 64;

    /// <summary>The container id in <paramref name="cgroupText"/>, or null for a process in no container.</summary>
    public static string? Find(ReadOnlySpan<char> cgroupText)
    {
        foreach (var line in cgroupText.EnumerateLines())
        {
            // hierarchy-id:controllers:path; the path may itself hold colons, so split at the first two only.
            var first = line.IndexOf(':');
            if (first < 0)
            {
                continue;
            }

            var second = line[(first + 1)..].IndexOf(':');
            if (second < 0)
            {
                continue;
            }

            if (IdIn(line[(first + second + 2)..]) is { } id)
            {
                return id;
            }
        }

        return null;
    }

    /// <summary>The last run of exactly 64 lower-case hex digits in a cgroup path.</summary>
    private static string? IdIn(ReadOnlySpan<char> path)
    {
        string? found = null;
        var start = -1;
        for (var i = 0; i <= path.Length; i++)
        {
            var hex = i < path.Length && char.IsAsciiHexDigitLower(path[i]);
            if (hex && start < 0)
            {
                start = i;
            }
            else if (!hex && start >= 0)
            {
                if (i - start == IdLength)
                {
                    found = path[start..i].ToString();
                }

                start = -1;
            }
        }

        return found;
    }
}
