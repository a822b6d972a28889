namespace DataExchangeTasker.Governance.Trace;

/// <summary>
/// A path string from a trace, resolved as far as text allows, without the container's file system: joined to the
/// folder strace printed for its directory descriptor, <c>.</c>, <c>..</c> and doubled slashes removed, and
/// <c>/proc/self/root</c> (or <c>thread-self</c>, or any pid) taken as <c>/</c>, which it is for every process in
/// the sandbox (none can chroot). Symbolic links and <c>/proc/PID/fd/N</c> are beyond it: that needs the kernel's
/// own path of the opened descriptor (strace <c>-y</c>).
/// </summary>
internal static class LexicalPath
{
    /// <summary>
    /// <paramref name="path"/> as an absolute, normalised path: as is when absolute, else under
    /// <paramref name="directory"/>; null when it is relative and the directory is unknown or not absolute.
    /// </summary>
    public static string? Resolve(string? directory, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.StartsWith('/'))
        {
            return Normalize(path);
        }

        return directory is not null && directory.StartsWith('/') ? Normalize(directory + "/" + path) : null;
    }

    /// <summary>True when <paramref name="path"/> (absolute, normalised) is <paramref name="folder"/> or inside it.</summary>
    public static bool IsUnder(string path, string folder)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(folder);
        return path == folder || (path.StartsWith(folder, StringComparison.Ordinal) && path.Length > folder.Length && path[folder.Length] == '/');
    }

    private static string Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var segment in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
            }
            else if (segment != ".")
            {
                parts.Add(segment);
                if (IsProcRoot(parts))
                {
                    parts.Clear();
                }
            }
        }

        return "/" + string.Join('/', parts);
    }

    private static bool IsProcRoot(List<string> parts) =>
        parts.Count == 3 && parts[0] == "proc" && parts[2] == "root"
        && (parts[1] is "self" or "thread-self" || parts[1].All(char.IsAsciiDigit));
}
