using System.Formats.Tar;
using System.Security.Cryptography;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Sandbox;

/// <summary>
/// Stores the regular files of a task's <c>/tmp/out</c> from its tar stream (<c>tar -cf - -C /tmp/out .</c>, run as
/// the code's uid through <c>docker exec</c> once no process of the code is left) into a fresh host folder.
/// Only folders and regular files are created: symbolic and hard links, devices, FIFOs and anything else are
/// refused, as are absolute names, <c>..</c> segments and names seen twice, so nothing can point outside the
/// folder. At most <see cref="OutputLimits.MaxFiles"/> files and <see cref="OutputLimits.MaxTotalBytes"/> bytes
/// in total are kept; a file that does not fit whole is dropped. Folders are 0750 and files 0640, owned by the
/// tasker's user: the tasker's group may read them, no other uid.
/// </summary>
public static class OutputArchiveExtractor
{
    private const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;

    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;

    /// <summary>
    /// Extracts <paramref name="archive"/> into <paramref name="destination"/>, which must not exist yet (its
    /// parent must). The folder is created even when no file is kept.
    /// </summary>
    public static async Task<ExtractedOutputs> ExtractAsync(Stream archive, string destination, OutputLimits limits, CancellationToken cancellationToken)
    {
        // A results root with the setgid bit hands its group (a reader group) down; chmod must not clear that bit.
        var parent = Path.GetDirectoryName(Path.GetFullPath(destination).TrimEnd('/'));
        var folderMode = FolderMode | (parent is not null && (File.GetUnixFileMode(parent) & UnixFileMode.SetGroup) != 0 ? UnixFileMode.SetGroup : 0);
        Directory.CreateDirectory(destination, folderMode);
        File.SetUnixFileMode(destination, folderMode);
        var files = new List<OutputFile>();
        var refused = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var truncated = false;
        long total = 0;
        using var reader = new TarReader(archive, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            var relative = SafeRelativeName(entry.Name);
            if (relative is null)
            {
                refused.Add(entry.Name);
                truncated = true;
                continue;
            }

            if (relative.Length == 0 && entry.EntryType == TarEntryType.Directory)
            {
                continue; // "./" itself
            }

            if (!seen.Add(relative))
            {
                refused.Add(entry.Name);
                truncated = true;
                continue;
            }

            var target = Path.Combine(destination, relative);
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    if (!TryCreateFolder(destination, relative, folderMode))
                    {
                        refused.Add(entry.Name);
                    }

                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    if (files.Count >= limits.MaxFiles || entry.Length > limits.MaxTotalBytes - total)
                    {
                        truncated = true;
                        break;
                    }

                    if (!TryCreateFolder(destination, Path.GetDirectoryName(relative) ?? "", folderMode))
                    {
                        refused.Add(entry.Name);
                        truncated = true;
                        break;
                    }

                    var stored = await StoreAsync(entry.DataStream, target, limits.MaxTotalBytes - total, cancellationToken).ConfigureAwait(false);
                    if (stored is null)
                    {
                        refused.Add(entry.Name);
                        truncated = true;
                        break;
                    }

                    total += stored.Value.Size;
                    files.Add(new OutputFile(relative, stored.Value.Size, stored.Value.Sha256));
                    break;
                default:
                    refused.Add(entry.Name);
                    truncated = true;
                    break;
            }
        }

        return new ExtractedOutputs(files, truncated, refused);
    }

    /// <summary>The '/'-separated name without a leading <c>./</c>, or null when it is absolute or has a <c>..</c>, empty or NUL segment.</summary>
    internal static string? SafeRelativeName(string name)
    {
        if (name.StartsWith('/') || name.Contains('\0', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal))
        {
            return null;
        }

        var trimmed = name.StartsWith("./", StringComparison.Ordinal) ? name[2..] : name;
        trimmed = trimmed.TrimEnd('/');
        if (trimmed.Length == 0 || trimmed == ".")
        {
            return "";
        }

        var segments = trimmed.Split('/');
        return segments.Any(s => s is "" or "." or "..") ? null : trimmed;
    }

    /// <summary>Creates the folder chain below <paramref name="root"/>, refusing to go through anything but a real folder.</summary>
    private static bool TryCreateFolder(string root, string relative, UnixFileMode folderMode)
    {
        var current = root;
        foreach (var segment in relative.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, segment);
            switch (NativeFiles.KindOf(current))
            {
                case FileKind.Directory:
                    continue;
                case FileKind.Missing:
                    Directory.CreateDirectory(current, folderMode);
                    File.SetUnixFileMode(current, folderMode);
                    continue;
                default:
                    return false;
            }
        }

        return true;
    }

    private static async Task<(long Size, string Sha256)?> StoreAsync(Stream? data, string target, long room, CancellationToken cancellationToken)
    {
        FileStream output;
        try
        {
            // CreateNew: never opens (or follows) anything that is already there.
            output = new FileStream(target, new FileStreamOptions
            {
                Mode = System.IO.FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = FileMode,
                Options = FileOptions.Asynchronous,
            });
        }
        catch (IOException)
        {
            return null;
        }

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        await using (output.ConfigureAwait(false))
        {
            File.SetUnixFileMode(output.SafeFileHandle, FileMode);
            if (data is not null)
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await data.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    // The header's size was checked against the room; a stream longer than its header is a broken archive.
                    if (size + read > room)
                    {
                        throw new InvalidDataException($"Output entry {target} is longer than its tar header says.");
                    }

                    sha.AppendData(buffer, 0, read);
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    size += read;
                }
            }
        }

        return (size, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }
}
