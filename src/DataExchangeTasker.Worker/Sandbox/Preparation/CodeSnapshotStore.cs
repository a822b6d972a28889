using System.Security.Cryptography;

namespace DataExchangeTasker.Sandbox.Preparation;

/// <summary>
/// Content-addressed, read-only copies of code (<c>&lt;root&gt;/&lt;sha256&gt;/</c>, folders 0555 and files 0444, owned by
/// the tasker's user), so that a change to the code root after a task was taken cannot reach it: the container
/// mounts the snapshot, whose bytes are exactly those that hash to the approved value.
/// <para>
/// A snapshot is written to a private temporary folder, hashed there (the copy, not the source), then renamed
/// into place, so a snapshot folder is always complete. Its name is the hash of its content, so when the source
/// hashes to a value whose snapshot exists, that snapshot holds exactly those bytes and is reused without copying.
/// </para>
/// </summary>
internal sealed class CodeSnapshotStore(string root)
{
    private const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead
        | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private const UnixFileMode PrivateFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The store's folder.</summary>
    public string Root => root;

    /// <summary>
    /// The snapshot of the code at <paramref name="source"/> (a folder or a single file), created if needed.
    /// Throws <see cref="InvalidDataException"/> for links or special files, as <see cref="CodeHasher"/> does.
    /// </summary>
    public async Task<CodeSnapshot> SnapshotAsync(string source, CancellationToken cancellationToken)
    {
        // The store itself is private: dockerd (root) mounts from it, no other local user needs to read code.
        Directory.CreateDirectory(root, PrivateFolder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        var isFolder = NativeFiles.KindOf(source) == FileKind.Directory;
        var name = Path.GetFileName(source.TrimEnd('/'));

        var sourceHash = await CodeHasher.HashAsync(source, cancellationToken).ConfigureAwait(false);
        if (Existing(sourceHash, isFolder, name) is { } cached)
        {
            MarkUsed(cached.Folder);
            return cached;
        }

        var incoming = Path.Combine(root, ".incoming-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
        Directory.CreateDirectory(incoming, PrivateFolder);
        try
        {
            if (isFolder)
            {
                await CopyFolderAsync(source, incoming, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await CopyFileAsync(source, Path.Combine(incoming, name), cancellationToken).ConfigureAwait(false);
            }

            // The hash of what was copied, which may differ from the source's hash above if it changed meanwhile.
            var hash = await CodeHasher.HashAsync(isFolder ? incoming : Path.Combine(incoming, name), cancellationToken).ConfigureAwait(false);
            Seal(incoming);
            var folder = Path.Combine(root, hash);
            try
            {
                Directory.Move(incoming, folder);
            }
            catch (IOException) when (Directory.Exists(folder))
            {
                // Another task stored the same content first; theirs is identical.
                Remove(incoming);
            }

            return Existing(hash, isFolder, name) ?? throw new IOException($"Snapshot {folder} vanished after it was stored.");
        }
        catch
        {
            Remove(incoming);
            throw;
        }
    }

    /// <summary>
    /// Records that a snapshot was used now (its folder's modification time, which nothing else changes once it
    /// is sealed), so the leftover sweeper expires only snapshots no task used for a while.
    /// </summary>
    public static void MarkUsed(string folder) => Directory.SetLastWriteTimeUtc(folder, DateTime.UtcNow);

    /// <summary>Removes a snapshot or a temporary folder left by a crash (its folders are read-only).</summary>
    public static void Remove(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }

        foreach (var dir in Directory.EnumerateDirectories(folder, "*", SearchOption.AllDirectories).Prepend(folder))
        {
            if (NativeFiles.KindOf(dir) == FileKind.Directory)
            {
                File.SetUnixFileMode(dir, PrivateFolder);
            }
        }

        Directory.Delete(folder, recursive: true);
    }

    private CodeSnapshot? Existing(string hash, bool isFolder, string name)
    {
        var folder = Path.Combine(root, hash);
        if (NativeFiles.KindOf(folder) != FileKind.Directory)
        {
            return null;
        }

        // Folder code and a single file of the same name and bytes hash alike, and are stored alike.
        var source = isFolder ? folder : Path.Combine(folder, name);
        return isFolder || NativeFiles.KindOf(source) == FileKind.Regular ? new CodeSnapshot(hash, folder, source) : null;
    }

    private static async Task CopyFolderAsync(string source, string target, CancellationToken cancellationToken)
    {
        foreach (var entry in new DirectoryInfo(source).EnumerateFileSystemInfos())
        {
            var destination = Path.Combine(target, entry.Name);
            switch (NativeFiles.KindOf(entry.FullName))
            {
                case FileKind.Directory:
                    Directory.CreateDirectory(destination, PrivateFolder);
                    await CopyFolderAsync(entry.FullName, destination, cancellationToken).ConfigureAwait(false);
                    break;
                case FileKind.Regular:
                    await CopyFileAsync(entry.FullName, destination, cancellationToken).ConfigureAwait(false);
                    break;
                case FileKind.SymbolicLink:
                    throw new InvalidDataException($"\"{entry.FullName}\" is a symbolic link; the code hash covers regular files only.");
                default:
                    throw new InvalidDataException($"\"{entry.FullName}\" is not a regular file.");
            }
        }
    }

    private static async Task CopyFileAsync(string source, string destination, CancellationToken cancellationToken)
    {
        // No-follow and non-blocking, as when hashing: an entry swapped for a link or FIFO is refused, not followed.
        using var handle = NativeFiles.OpenNoFollow(source) ?? throw new InvalidDataException($"\"{source}\" changed while it was copied.");
        await using var input = new FileStream(handle, FileAccess.Read, 1);
        await using var output = new FileStream(destination, new FileStreamOptions
        {
            Mode = System.IO.FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        await input.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Makes a folder tree read-only for everyone (files 0444, folders 0555): what a container may read, never write.</summary>
    internal static void Seal(string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            File.SetUnixFileMode(file, FileMode);
        }

        // Deepest first, so each folder is still writable while its children are sealed.
        foreach (var dir in Directory.EnumerateDirectories(folder, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length).Append(folder))
        {
            File.SetUnixFileMode(dir, FolderMode);
        }
    }
}
