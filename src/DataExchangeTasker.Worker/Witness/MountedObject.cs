using System.Runtime.InteropServices;

namespace DataExchangeTasker.Witness;

/// <summary>
/// Which mount an opened file was reached through, and which inode it is (<c>statx</c>). Every bind mount of a
/// task's data inside its container is a mount of its own, so the mount id of an open tells which container made
/// it even after the process that made it is gone. Ids are the kernel's unique 64-bit ones (Linux 6.8+,
/// never reused while it runs); older kernels give the reusable 32-bit id.
/// </summary>
/// <param name="MountId">The mount's id.</param>
/// <param name="Device">st_dev in the encoding <c>stat</c> reports (glibc's makedev).</param>
/// <param name="Inode">st_ino.</param>
internal readonly record struct MountedObject(ulong MountId, ulong Device, ulong Inode)
{
    // struct statx offsets (linux/stat.h): stx_mask u32 @0, stx_ino u64 @32, stx_dev_major/minor u32 @136/@140,
    // stx_mnt_id u64 @144. The buffer is larger than the struct (256 bytes).
    private const int MaskOffset = 0;
    private const int InodeOffset = 32;
    private const int DevMajorOffset = 136;
    private const int DevMinorOffset = 140;
    private const int MountIdOffset = 144;
    private const int BufferSize = 256;

    /// <summary>The object open at descriptor <paramref name="fd"/>; null when the kernel answers nothing.</summary>
    public static unsafe MountedObject? OfDescriptor(int fd)
    {
        var buffer = stackalloc byte[BufferSize];
        return Read(FanotifyNative.statx(fd, "", FanotifyNative.AtEmptyPath, Wanted, buffer), buffer);
    }

    /// <summary>The object at <paramref name="path"/> (a final symbolic link is not followed); null when it cannot be read.</summary>
    public static unsafe MountedObject? OfPath(string path)
    {
        var buffer = stackalloc byte[BufferSize];
        return Read(FanotifyNative.statx(FanotifyNative.AtFdCwd, path, FanotifyNative.AtSymlinkNoFollow, Wanted, buffer), buffer);
    }

    private const uint Wanted = FanotifyNative.StatxIno | FanotifyNative.StatxType | FanotifyNative.StatxMountIdUnique | FanotifyNative.StatxMountId;

    private static unsafe MountedObject? Read(int result, byte* buffer)
    {
        if (result != 0)
        {
            _ = Marshal.GetLastPInvokeError();
            return null;
        }

        var mask = *(uint*)(buffer + MaskOffset);
        if ((mask & (FanotifyNative.StatxMountIdUnique | FanotifyNative.StatxMountId)) == 0)
        {
            return null;
        }

        var major = *(uint*)(buffer + DevMajorOffset);
        var minor = *(uint*)(buffer + DevMinorOffset);
        return new MountedObject(*(ulong*)(buffer + MountIdOffset), MakeDevice(major, minor), *(ulong*)(buffer + InodeOffset));
    }

    /// <summary>glibc's <c>makedev</c>: the st_dev a <c>stat</c> call would report for this major and minor.</summary>
    internal static ulong MakeDevice(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);
}
