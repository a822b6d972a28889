using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace DataExchangeTasker.Sandbox.Preparation;

/// <summary>
/// The code's content hash (the start message's <c>codeHash.eTag</c>): lower-case hex SHA-256 over each regular
/// file sorted by its '/'-separated relative path (ordinal), each contributing its UTF-8 path, a 0x00 byte, its
/// length as 8-byte big-endian, then its bytes. A single file hashes as one entry named by its file name.
/// Symbolic links and other non-regular entries are refused, so a hash never depends on what a link points to.
/// </summary>
public static class CodeHasher
{
    /// <summary>Hashes a file or folder; throws <see cref="InvalidDataException"/> for a link or special file.</summary>
    public static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        var entries = new List<(string Relative, string Full)>();
        switch (NativeFiles.KindOf(path))
        {
            case FileKind.Directory:
                Collect(path, "", entries);
                break;
            case FileKind.Regular:
                entries.Add((Path.GetFileName(path.TrimEnd('/')), Path.GetFullPath(path)));
                break;
            case FileKind.SymbolicLink:
                throw new InvalidDataException($"\"{path}\" is a symbolic link; the code hash covers regular files only.");
            case FileKind.Missing:
                throw new FileNotFoundException($"\"{path}\" does not exist.", path);
            default:
                throw new InvalidDataException($"\"{path}\" is not a regular file.");
        }

        // Ordinal over UTF-8 bytes (code-point order), which differs from UTF-16 order for astral characters.
        entries.Sort((a, b) => Encoding.UTF8.GetBytes(a.Relative).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b.Relative)));
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var header = new byte[8];
        var buffer = new byte[81920];
        foreach (var (relative, full) in entries)
        {
            // No-follow and non-blocking: an entry swapped for a link or FIFO since listing cannot hang or redirect us.
            using var handle = NativeFiles.OpenNoFollow(full) ?? throw new InvalidDataException($"\"{relative}\" changed while hashing.");
            await using var stream = new FileStream(handle, FileAccess.Read, 1);
            sha.AppendData(Encoding.UTF8.GetBytes(relative));
            sha.AppendData([0]);
            BinaryPrimitives.WriteInt64BigEndian(header, stream.Length);
            sha.AppendData(header);
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                sha.AppendData(buffer, 0, read);
            }
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static void Collect(string folder, string prefix, List<(string, string)> entries)
    {
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos())
        {
            var relative = prefix + entry.Name;
            switch (NativeFiles.KindOf(entry.FullName))
            {
                case FileKind.Directory:
                    Collect(entry.FullName, relative + "/", entries);
                    break;
                case FileKind.Regular:
                    entries.Add((relative, entry.FullName));
                    break;
                case FileKind.SymbolicLink:
                    throw new InvalidDataException($"\"{relative}\" is a symbolic link; the code hash covers regular files only.");
                default:
                    throw new InvalidDataException($"\"{relative}\" is not a regular file.");
            }
        }
    }
}
