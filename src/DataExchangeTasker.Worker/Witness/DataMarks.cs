using DataExchangeTasker.Sandbox.Preparation;

namespace DataExchangeTasker.Witness;

/// <summary>
/// What to mark for a task's data: the data file itself, or every folder of a data folder (a folder mark reports
/// opens of the folder and of its direct entries, so every level needs one). Symbolic links are not followed: a
/// link inside the data resolves inside the container's own mount, to a folder that is marked anyway or to no data
/// at all. Nested mounts are walked into (the container sees them through its recursive bind).
/// </summary>
internal static class DataMarks
{
    /// <summary>Folders marked per task; past it the rest goes unwatched and the witness says <c>capped</c>.</summary>
    public const int MaxFolders = 10_000;

    private static readonly EnumerationOptions Children = new()
    {
        RecurseSubdirectories = false,
        // Dot-folders are data too; links are not followed.
        AttributesToSkip = FileAttributes.ReparsePoint,
        IgnoreInaccessible = true,
        ReturnSpecialDirectories = false,
    };

    /// <summary>The objects to mark for the data at <paramref name="hostPath"/>, and whether the folder cap cut them.</summary>
    public static (IReadOnlyList<MarkedObject> Objects, bool Capped) Of(string hostPath, bool isDirectory)
    {
        ArgumentNullException.ThrowIfNull(hostPath);
        if (!isDirectory)
        {
            return IdentityOf(hostPath) is { } identity ? ([new MarkedObject(hostPath, false, identity)], false) : ([], false);
        }

        var found = new List<MarkedObject>();
        var pending = new Queue<string>();
        pending.Enqueue(hostPath);
        var capped = false;
        while (pending.TryDequeue(out var folder))
        {
            if (IdentityOf(folder) is not { } identity)
            {
                continue;
            }

            found.Add(new MarkedObject(folder, true, identity));
            try
            {
                foreach (var child in Directory.EnumerateDirectories(folder, "*", Children))
                {
                    if (found.Count + pending.Count >= MaxFolders)
                    {
                        capped = true;
                        break;
                    }

                    pending.Enqueue(child);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone or unreadable meanwhile: the folder itself is still marked.
            }
        }

        return (found, capped);
    }

    /// <summary>The object at <paramref name="path"/> itself (a final link not followed); null when it is gone.</summary>
    private static FileIdentity? IdentityOf(string path) =>
        MountedObject.OfPath(path) is { } found ? new FileIdentity(found.Device, found.Inode) : null;
}
