using System.Runtime.InteropServices;

namespace DataExchangeTasker.Governance;

/// <summary>
/// What <c>statx(2)</c> says about one entry, without following a final symlink: identity (device, inode), type,
/// size and modification time. .NET exposes neither the device nor the inode; statx's layout is the same on
/// every architecture, unlike <c>struct stat</c>.
/// </summary>
/// <param name="Device">Device number as <c>major:minor</c> packed like the kernel's <c>makedev</c>.</param>
/// <param name="Inode">Inode number.</param>
/// <param name="Mode">File type and permission bits (<c>st_mode</c>).</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="ModifiedNanoseconds">Modification time, nanoseconds since the Unix epoch.</param>
internal sealed partial record FileStatus(ulong Device, ulong Inode, uint Mode, long Size, long ModifiedNanoseconds)
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;

    /// <summary>True for a regular file.</summary>
    public bool IsRegularFile => (Mode & 0xF000) == 0x8000;

    /// <summary>True for a directory.</summary>
    public bool IsDirectory => (Mode & 0xF000) == 0x4000;

    /// <summary>True for a symbolic link (never followed).</summary>
    public bool IsSymbolicLink => (Mode & 0xF000) == 0xA000;

    /// <summary>
    /// The status of <paramref name="path"/> (of a final symlink itself unless <paramref name="followLink"/>),
    /// or null when it does not exist or cannot be reached.
    /// </summary>
    public static unsafe FileStatus? Of(string path, bool followLink = false)
    {
        var buffer = stackalloc byte[256];
        if (Native.statx(AtFdCwd, path, followLink ? 0 : AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            return null;
        }

        // struct statx (linux/stat.h): mode u16 @28, ino u64 @32, size u64 @40, mtime {i64 sec, u32 nsec} @112,
        // dev_major u32 @136, dev_minor u32 @140.
        var mode = *(ushort*)(buffer + 28);
        var inode = *(ulong*)(buffer + 32);
        var size = *(long*)(buffer + 40);
        var mtime = (*(long*)(buffer + 112) * 1_000_000_000L) + *(uint*)(buffer + 120);
        var major = *(uint*)(buffer + 136);
        var minor = *(uint*)(buffer + 140);
        var device = ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8)
                     | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);
        return new FileStatus(device, inode, mode, size, mtime);
    }

    private static partial class Native
    {
        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static unsafe partial int statx(int dirFd, string path, int flags, uint mask, byte* buffer);
    }
}
