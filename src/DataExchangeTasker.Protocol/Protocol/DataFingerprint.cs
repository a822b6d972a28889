namespace DataExchangeTasker.Protocol;

/// <summary>
/// Which data a run was given: the resolved host path, its identity (device, inode) and a hash over its listing.
/// The listing hash is SHA-256 over every entry below the path (the path itself for a file), sorted by its
/// '/'-separated relative path in UTF-8 byte order, each contributing: the relative path in UTF-8 (the file's
/// own name for a single file), 0x00, one type byte (<c>f</c> file, <c>d</c> folder, <c>l</c> link,
/// <c>o</c> other), size and modification time (nanoseconds since the epoch) as 8-byte big-endian integers.
/// Links are listed, never followed. <see cref="ContentSha256"/> (only with <c>TASKER_DATA_HASH=true</c>: it reads
/// all the data) is SHA-256 over the same entries' paths, a 0x00, the 8-byte size and the bytes of each regular file.
/// </summary>
/// <param name="Path">The canonical host path that was mounted.</param>
/// <param name="Device">Device number of <see cref="Path"/>.</param>
/// <param name="Inode">Inode number of <see cref="Path"/>.</param>
/// <param name="Entries">Entries hashed into the listing.</param>
/// <param name="ListingSha256">The listing hash described above.</param>
/// <param name="ContentSha256">The content hash, or null when not computed.</param>
/// <param name="Truncated">True when the folder had more than <c>DataFingerprinter.MaxEntries</c> entries (the rest is not hashed).</param>
public sealed record DataFingerprint(
    string Path,
    long Device,
    long Inode,
    int Entries,
    string ListingSha256,
    string? ContentSha256,
    bool Truncated);
