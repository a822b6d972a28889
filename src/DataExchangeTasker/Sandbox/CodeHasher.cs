using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace DataExchangeTasker.Sandbox;

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
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            throw new InvalidDataException($"\"{path}\" is a symbolic link; the code hash covers regular files only.");
        }

        if (Directory.Exists(path))
        {
            Collect(path, "", entries);
        }
        else if (info.Exists)
        {
            entries.Add((info.Name, info.FullName));
        }
        else
        {
            throw new FileNotFoundException($"\"{path}\" does not exist.", path);
        }

        // Ordinal over UTF-8 bytes (code-point order), which differs from UTF-16 order for astral characters.
        entries.Sort((a, b) => Encoding.UTF8.GetBytes(a.Relative).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b.Relative)));
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var header = new byte[8];
        var buffer = new byte[81920];
        foreach (var (relative, full) in entries)
        {
            await using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
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
            if (entry.LinkTarget is not null)
            {
                throw new InvalidDataException($"\"{relative}\" is a symbolic link; the code hash covers regular files only.");
            }

            switch (entry)
            {
                case DirectoryInfo dir:
                    Collect(dir.FullName, relative + "/", entries);
                    break;
                case FileInfo file when (file.Attributes & (FileAttributes.Device | FileAttributes.ReparsePoint)) == 0:
                    entries.Add((relative, file.FullName));
                    break;
                default:
                    throw new InvalidDataException($"\"{relative}\" is not a regular file.");
            }
        }
    }
}
