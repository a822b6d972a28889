using System.Runtime.InteropServices;

namespace DataExchangeTasker.Witness;

/// <summary>
/// Splits what one <c>read(2)</c> of a fanotify descriptor returned into events. Layout (linux/fanotify.h, native
/// byte order): <c>event_len u32, vers u8, reserved u8, metadata_len u16, mask u64, fd s32, pid s32</c>, then info
/// records of <c>{info_type u8, pad u8, len u16}</c> each; the pidfd record (type 4) carries an <c>s32</c>.
/// </summary>
internal static class FanotifyEventParser
{
    /// <summary><c>FANOTIFY_METADATA_VERSION</c>: the only layout this parser reads.</summary>
    public const byte MetadataVersion = 3;

    /// <summary>Size of <c>struct fanotify_event_metadata</c>.</summary>
    public const int MetadataLength = 24;

    /// <summary>
    /// Appends the events in <paramref name="buffer"/> to <paramref name="events"/>. The kernel only returns whole
    /// events; a malformed one (another metadata version, a length out of bounds) ends the parse with
    /// <see cref="InvalidDataException"/>, after the events before it were appended (their descriptors still need closing).
    /// </summary>
    public static void Parse(ReadOnlySpan<byte> buffer, bool pidFdsReported, List<FanotifyEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var offset = 0;
        while (offset < buffer.Length)
        {
            var rest = buffer[offset..];
            if (rest.Length < MetadataLength)
            {
                throw new InvalidDataException($"fanotify: {rest.Length} trailing bytes are not an event");
            }

            var length = MemoryMarshal.Read<uint>(rest);
            var version = rest[4];
            var metadataLength = MemoryMarshal.Read<ushort>(rest[6..]);
            if (version != MetadataVersion || metadataLength < MetadataLength || length < metadataLength || length > rest.Length)
            {
                throw new InvalidDataException($"fanotify: event of version {version}, length {length}, metadata {metadataLength} at offset {offset} of {buffer.Length}");
            }

            var mask = MemoryMarshal.Read<ulong>(rest[8..]);
            var fd = MemoryMarshal.Read<int>(rest[16..]);
            var pid = MemoryMarshal.Read<int>(rest[20..]);
            var pidFd = pidFdsReported ? FindPidFd(rest[metadataLength..(int)length]) : FanotifyEvent.NotReported;
            events.Add(new FanotifyEvent(mask, fd, pid, pidFd));
            offset += (int)length;
        }
    }

    private static int FindPidFd(ReadOnlySpan<byte> info)
    {
        while (info.Length >= 4)
        {
            var type = info[0];
            var length = MemoryMarshal.Read<ushort>(info[2..]);
            if (length < 4 || length > info.Length)
            {
                break;
            }

            if (type == FanotifyNative.EventInfoTypePidfd && length >= 8)
            {
                return MemoryMarshal.Read<int>(info[4..]);
            }

            info = info[length..];
        }

        // An overflow event carries no pidfd record; neither does an event whose process was unknown.
        return FanotifyNative.NoPidfd;
    }
}
