using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Sandbox.Preparation;

/// <summary>
/// Resolves a start message's relative path under its root with no way out: absolute paths and <c>..</c>
/// segments are refused outright, and the canonical path (every symlink resolved by the kernel) must stay
/// under the canonical root. The canonical path is what gets mounted, so a link is never followed twice, and its
/// device and inode are recorded so the container can prove it sees the same object.
/// </summary>
internal static class PathResolver
{
    /// <summary>Resolves <paramref name="relative"/> (the value of <paramref name="field"/>) under <paramref name="root"/>.</summary>
    public static (ResolvedPath? Path, TaskRejection? Rejection) Resolve(string root, string relative, string field, string containerRoot)
    {
        if (relative.StartsWith('/'))
        {
            return Refuse(Reasons.PathNotAllowed, $"{field} \"{relative}\" is absolute; expected a path relative to the {RootName(field)}.");
        }

        var segments = relative.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToArray();
        if (Array.IndexOf(segments, "..") >= 0)
        {
            return Refuse(Reasons.PathNotAllowed, $"{field} \"{relative}\" contains a \"..\" segment; expected a path inside the {RootName(field)}.");
        }

        if (segments.Length == 0 || relative.Contains('\0', StringComparison.Ordinal))
        {
            return Refuse(Reasons.PathNotAllowed, $"{field} \"{relative}\" does not name a file or folder inside the {RootName(field)}.");
        }

        var canonicalRoot = NativeFiles.RealPath(root, out _)
            ?? throw new DirectoryNotFoundException($"The {RootName(field)} {root} does not exist.");
        var joined = canonicalRoot.TrimEnd('/') + "/" + string.Join('/', segments);
        var canonical = NativeFiles.RealPath(joined, out var missing);
        if (canonical is null)
        {
            return missing
                ? Refuse(Reasons.PathNotFound, $"{field} \"{relative}\" does not exist under the {RootName(field)}.")
                : Refuse(Reasons.PathNotAllowed, $"{field} \"{relative}\" cannot be resolved under the {RootName(field)}.");
        }

        if (!IsUnder(canonical, canonicalRoot))
        {
            return Refuse(Reasons.PathNotAllowed, $"{field} \"{relative}\" resolves outside the {RootName(field)} (through a symbolic link).");
        }

        var kind = NativeFiles.KindOf(canonical);
        var isDirectory = kind == FileKind.Directory;
        if (kind != FileKind.Directory && kind != FileKind.Regular)
        {
            return Refuse(Reasons.PathNotAllowed, $"{field} \"{relative}\" is neither a regular file nor a folder.");
        }

        // Taken after the kind check: if the entry is swapped in between, this names the newcomer (or a link),
        // and the mounted object can then only differ from it, which ends the task path_changed.
        if (NativeFiles.StatOf(canonical) is not var (identity, stamp))
        {
            return Refuse(Reasons.PathNotFound, $"{field} \"{relative}\" does not exist under the {RootName(field)}.");
        }

        return (new ResolvedPath(canonical, containerRoot + "/" + string.Join('/', segments), isDirectory) { Identity = identity, Stamp = stamp }, null);
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> itself or lies below it.</summary>
    internal static bool IsUnder(string path, string root) =>
        root == "/" || path == root || path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);

    private static string RootName(string field) => field == "codePath" ? "code root" : "data root";

    private static (ResolvedPath?, TaskRejection?) Refuse(string reason, string message) => (null, new TaskRejection(reason, message));
}
