using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Preparation;

namespace DataExchangeTasker.Sandbox.Collection;

/// <summary>
/// Stores the regular files of a task's <c>/tmp/out</c> from its tar stream (<c>tar -cf - -C /tmp/out .</c>, run as
/// the code's uid once no process of the code is left) into a fresh host folder. It reads a tar stream and nothing
/// else, whatever carries it. Only regular files are stored, with the folders they need: symbolic and hard links,
/// devices, FIFOs and anything else are refused, as are absolute names, <c>..</c> segments, names seen twice, names
/// that are not UTF-8 and names too long for the host, so nothing can point outside the folder. Every entry counts
/// against the limits: at most <see cref="OutputLimits.MaxFiles"/> entries, files and folders alike, and
/// <see cref="OutputLimits.MaxTotalBytes"/> bytes in total, each folder counting <see cref="FolderBytes"/>; a file
/// that does not fit whole is dropped. Every entry not stored is named with its reason (<see cref="RefusedOutputs"/>).
/// What the host cannot create is that entry's refusal, and what was made for it is removed; a results disk that
/// cannot be written at all is a <see cref="ResultsUnwritableException"/>. Folders are 0750 and files 0640, owned
/// by the tasker's user: the tasker's group may read them, no other uid.
/// </summary>
internal static class OutputArchiveExtractor
{
    /// <summary>What a folder costs against the size limit: one block of a typical host file system.</summary>
    public const long FolderBytes = 4096;

    /// <summary>The longest path the host's kernel takes (PATH_MAX, with its terminating NUL).</summary>
    private const int HostPathMax = 4096;

    /// <summary>The longest name of one path segment (NAME_MAX).</summary>
    private const int HostNameMax = 255;

    private const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;

    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;

    /// <summary>
    /// Extracts <paramref name="archive"/> into <paramref name="destination"/>, which must not exist yet (its
    /// parent must). The folder is created even when no file is kept.
    /// </summary>
    /// <exception cref="ResultsUnwritableException">The disk under <paramref name="destination"/> cannot be written at all.</exception>
    public static async Task<ExtractedOutputs> ExtractAsync(Stream archive, string destination, OutputLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var parent = Path.GetDirectoryName(Path.GetFullPath(destination).TrimEnd('/')) ?? "/";
        UnixFileMode folderMode;
        try
        {
            // A results root with the setgid bit hands its group (a reader group) down; chmod must not clear that bit.
            folderMode = FolderMode | ((File.GetUnixFileMode(parent) & UnixFileMode.SetGroup) != 0 ? UnixFileMode.SetGroup : 0);
            Directory.CreateDirectory(destination, folderMode);
            File.SetUnixFileMode(destination, folderMode);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ResultsUnwritableException(parent, e);
        }

        var run = new Extraction(destination, folderMode, limits, parent);
        await using var recorder = new TarHeaderRecorder(archive);
        using var reader = new TarReader(recorder, leaveOpen: true);
        long nextHeader = 0;
        while (true)
        {
            recorder.RecordFrom(nextHeader);
            if (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is not { } entry)
            {
                break;
            }

            // The entry's data starts here; the next header follows it, padded to the block size.
            nextHeader = recorder.Position + ((entry.Length + 511) / 512 * 512);
            await run.AddAsync(entry, RawName(entry.Name, recorder.Recorded), cancellationToken).ConfigureAwait(false);
        }

        return run.Result();
    }

    /// <summary>The '/'-separated name without a leading <c>./</c> or trailing <c>/</c>, or null when it is absolute or has a <c>..</c>, empty or NUL segment.</summary>
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

    /// <summary>
    /// The entry's name as bytes: its UTF-8 encoding, unless the reader replaced bytes that were not UTF-8 (U+FFFD),
    /// then the header's own bytes.
    /// </summary>
    private static byte[] RawName(string decoded, ReadOnlySpan<byte> headers) =>
        decoded.Contains('\uFFFD', StringComparison.Ordinal) && TarRawName.Parse(headers) is { } raw ? raw : Encoding.UTF8.GetBytes(decoded);

    /// <summary>One extraction's running state: what was stored, what was refused, what the limits have left.</summary>
    private sealed class Extraction(string destination, UnixFileMode folderMode, OutputLimits limits, string root)
    {
        private readonly List<OutputFile> _files = [];
        private readonly List<RefusedOutput> _refused = [];
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
        private readonly int _destinationBytes = Encoding.UTF8.GetByteCount(Path.GetFullPath(destination).TrimEnd('/'));
        private int _refusedCount;
        private int _entries;
        private long _bytes;

        public ExtractedOutputs Result() =>
            new(_files, _refusedCount > 0, _refusedCount == 0 ? RefusedOutputs.None : new RefusedOutputs(_refusedCount, _refused));

        public async Task AddAsync(TarEntry entry, byte[] rawName, CancellationToken cancellationToken)
        {
            var display = Display(rawName);
            if (!EscapedPath.IsUtf8(rawName))
            {
                Refuse(display, RefusalReasons.NameNotUtf8);
                return;
            }

            var relative = SafeRelativeName(entry.Name);
            if (relative is null)
            {
                Refuse(display, RefusalReasons.UnsafeName);
                return;
            }

            if (relative.Length == 0 && entry.EntryType == TarEntryType.Directory)
            {
                return; // "./" itself
            }

            if (!_seen.Add(relative))
            {
                Refuse(display, RefusalReasons.Duplicate);
                return;
            }

            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    // Counted, not made: a folder exists on the host only to hold a stored file, so a refused entry
                    // never leaves an empty chain behind.
                    if (TooLong(relative))
                    {
                        Refuse(display, RefusalReasons.NameTooLong);
                    }
                    else if (Admit(display, FolderBytes))
                    {
                        _bytes += FolderBytes;
                    }

                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    if (TooLong(relative))
                    {
                        Refuse(display, RefusalReasons.NameTooLong);
                    }
                    else if (Admit(display, entry.Length))
                    {
                        await StoreAsync(entry, relative, display, cancellationToken).ConfigureAwait(false);
                    }

                    break;
                case TarEntryType.SymbolicLink:
                    Refuse(display, RefusalReasons.SymbolicLink);
                    break;
                case TarEntryType.HardLink:
                    Refuse(display, RefusalReasons.HardLink);
                    break;
                default:
                    Refuse(display, RefusalReasons.SpecialFile);
                    break;
            }
        }

        /// <summary>Counts the entry if it fits the limits; else refuses it for the limit it passes.</summary>
        private bool Admit(string display, long bytes)
        {
            if (_entries >= limits.MaxFiles)
            {
                Refuse(display, RefusalReasons.FilesLimit);
                return false;
            }

            if (bytes > limits.MaxTotalBytes - _bytes)
            {
                Refuse(display, RefusalReasons.SizeLimit);
                return false;
            }

            _entries++;
            return true;
        }

        private async Task StoreAsync(TarEntry entry, string relative, string display, CancellationToken cancellationToken)
        {
            var made = new List<string>();
            try
            {
                if (!TryCreateFolders(Path.GetDirectoryName(relative) ?? "", made))
                {
                    Unmake(made);
                    Refuse(display, RefusalReasons.HostRefused);
                    return;
                }

                var stored = await WriteAsync(entry.DataStream, Path.Combine(destination, relative), limits.MaxTotalBytes - _bytes, cancellationToken).ConfigureAwait(false);
                _bytes += stored.Size;
                _files.Add(new OutputFile(relative, stored.Size, stored.Sha256));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException && !(e is InvalidDataException or EndOfStreamException))
            {
                Unmake(made);
                if (ResultsUnwritableException.IsDiskFailure(e))
                {
                    throw new ResultsUnwritableException(root, e);
                }

                Refuse(display, e is PathTooLongException ? RefusalReasons.NameTooLong : RefusalReasons.HostRefused);
            }
        }

        /// <summary>Creates the folder chain below the destination, refusing to go through anything but a real folder.</summary>
        private bool TryCreateFolders(string relative, List<string> made)
        {
            var current = destination;
            foreach (var segment in relative.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                current = Path.Combine(current, segment);
                switch (NativeFiles.KindOf(current))
                {
                    case FileKind.Directory:
                        continue;
                    case FileKind.Missing:
                        Directory.CreateDirectory(current, folderMode);
                        made.Add(current);
                        File.SetUnixFileMode(current, folderMode);
                        continue;
                    default:
                        return false;
                }
            }

            return true;
        }

        /// <summary>Removes folders made for an entry that was not stored after all (deepest first).</summary>
        private static void Unmake(List<string> made)
        {
            for (var i = made.Count - 1; i >= 0; i--)
            {
                try
                {
                    Directory.Delete(made[i]);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Not empty (another file uses it) or the disk is gone; the caller deletes the folder on failure.
                }
            }
        }

        /// <summary>True when a segment or the whole host path would pass what the host's kernel takes.</summary>
        private bool TooLong(string relative) =>
            _destinationBytes + 1 + Encoding.UTF8.GetByteCount(relative) >= HostPathMax
            || relative.Split('/').Any(s => Encoding.UTF8.GetByteCount(s) > HostNameMax);

        private void Refuse(string display, string reason)
        {
            _refusedCount++;
            if (_refused.Count < RefusedOutputs.MaxEntries)
            {
                _refused.Add(new RefusedOutput(display, reason));
            }
        }

        /// <summary>The name as the container saw it, relative to <c>/tmp/out</c> (no leading <c>./</c>, no trailing <c>/</c>), escaped.</summary>
        private static string Display(byte[] raw)
        {
            ReadOnlySpan<byte> name = raw;
            if (name.StartsWith("./"u8))
            {
                name = name[2..];
            }

            while (name.Length > 1 && name[^1] == (byte)'/')
            {
                name = name[..^1];
            }

            return EscapedPath.Of(name);
        }

        private static async Task<(long Size, string Sha256)> WriteAsync(Stream? data, string target, long room, CancellationToken cancellationToken)
        {
            // CreateNew: never opens (or follows) anything that is already there.
            var output = new FileStream(target, new FileStreamOptions
            {
                Mode = System.IO.FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = FileMode,
                Options = FileOptions.Asynchronous,
            });
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0;
            try
            {
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
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException && !(e is InvalidDataException or EndOfStreamException))
            {
                // Not stored: nothing half-written stays (unless the disk refuses even that; the caller then drops the folder).
                try
                {
                    File.Delete(target);
                }
                catch (Exception again) when (again is IOException or UnauthorizedAccessException)
                {
                }

                throw;
            }

            return (size, Convert.ToHexStringLower(sha.GetHashAndReset()));
        }
    }
}
