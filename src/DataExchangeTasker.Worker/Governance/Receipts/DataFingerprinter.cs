using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Governance.Receipts;

/// <summary>Computes the <see cref="DataFingerprint"/> of the data a run is given (the format is described there).</summary>
internal static class DataFingerprinter
{
    /// <summary>Entries hashed at most, so a huge data folder cannot stall a task for long.</summary>
    public const int MaxEntries = 100_000;

    /// <summary>Fingerprints <paramref name="path"/> (a canonical path, as resolved for the mount).</summary>
    public static async Task<DataFingerprint> ComputeAsync(string path, bool hashContent, CancellationToken cancellationToken)
    {
        var root = FileStatus.Of(path) ?? throw new FileNotFoundException($"\"{path}\" does not exist.", path);
        var entries = new List<(byte[] Relative, string Full, FileStatus Status)>();
        var truncated = false;
        if (root.IsDirectory)
        {
            truncated = !Collect(path, "", entries);
        }
        else
        {
            entries.Add((Encoding.UTF8.GetBytes(System.IO.Path.GetFileName(path.TrimEnd('/'))), path, root));
        }

        entries.Sort((a, b) => a.Relative.AsSpan().SequenceCompareTo(b.Relative));
        using var listing = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var number = new byte[8];
        foreach (var (relative, _, status) in entries)
        {
            listing.AppendData(relative);
            listing.AppendData([0, TypeByte(status)]);
            BinaryPrimitives.WriteInt64BigEndian(number, status.Size);
            listing.AppendData(number);
            BinaryPrimitives.WriteInt64BigEndian(number, status.ModifiedNanoseconds);
            listing.AppendData(number);
        }

        var content = hashContent ? await HashContentAsync(entries, cancellationToken).ConfigureAwait(false) : null;
        return new DataFingerprint(path, (long)root.Device, (long)root.Inode, entries.Count,
            Convert.ToHexStringLower(listing.GetHashAndReset()), content, truncated);
    }

    private static bool Collect(string folder, string prefix, List<(byte[], string, FileStatus)> entries)
    {
        IEnumerable<string> names;
        try
        {
            names = Directory.EnumerateFileSystemEntries(folder).Select(System.IO.Path.GetFileName).OfType<string>().ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }

        foreach (var name in names)
        {
            var full = System.IO.Path.Combine(folder, name);
            if (FileStatus.Of(full) is not { } status)
            {
                continue;
            }

            if (entries.Count >= MaxEntries)
            {
                return false;
            }

            var relative = prefix + name;
            entries.Add((Encoding.UTF8.GetBytes(relative), full, status));
            if (status.IsDirectory && !Collect(full, relative + "/", entries))
            {
                return false;
            }
        }

        return true;
    }

    private static async Task<string> HashContentAsync(List<(byte[] Relative, string Full, FileStatus Status)> entries, CancellationToken cancellationToken)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var number = new byte[8];
        var buffer = new byte[81920];
        foreach (var (relative, full, status) in entries)
        {
            if (!status.IsRegularFile)
            {
                continue;
            }

            sha.AppendData(relative);
            sha.AppendData([0]);
            BinaryPrimitives.WriteInt64BigEndian(number, status.Size);
            sha.AppendData(number);
            await using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                sha.AppendData(buffer, 0, read);
            }
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static byte TypeByte(FileStatus status) =>
        status.IsRegularFile ? (byte)'f' : status.IsDirectory ? (byte)'d' : status.IsSymbolicLink ? (byte)'l' : (byte)'o';
}
