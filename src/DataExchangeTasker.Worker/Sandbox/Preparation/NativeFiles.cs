using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace DataExchangeTasker.Sandbox.Preparation;

/// <summary>
/// The two libc calls .NET does not offer: <c>realpath</c> (every symlink resolved, as the kernel sees it) and
/// <c>open</c> with <c>O_NOFOLLOW</c> (a file the task planted as a symlink is refused, not followed).
/// </summary>
internal static partial class NativeFiles
{
    private const int ONonBlock = 0x800;
    private const int ONoFollow = 0x20000;
    private const int OCloExec = 0x80000;
    private const int ENoEnt = 2;
    private const int ENotDir = 20;
    private const int ELoop = 40;

    /// <summary>The canonical path, or null with the reason (<c>missing</c> when a component does not exist).</summary>
    public static string? RealPath(string path, out bool missing)
    {
        var resolved = realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            var errno = Marshal.GetLastPInvokeError();
            missing = errno is ENoEnt or ENotDir;
            return null;
        }

        try
        {
            missing = false;
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            free(resolved);
        }
    }

    /// <summary>
    /// Opens a file for reading without following a final symlink and without blocking on a FIFO.
    /// Returns null when the entry is a symlink or does not exist.
    /// </summary>
    public static SafeFileHandle? OpenNoFollow(string path)
    {
        var fd = open(path, ONoFollow | ONonBlock | OCloExec);
        if (fd >= 0)
        {
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno is ELoop or ENoEnt or ENotDir
            ? null
            : throw new IOException($"open(\"{path}\") failed with errno {errno}");
    }

    /// <summary>
    /// The entry's own type (<c>lstat</c>: a symlink is reported as one, not followed). .NET cannot tell a FIFO,
    /// socket or device from a regular file, and opening a FIFO blocks; callers check this first.
    /// </summary>
    public static unsafe FileKind KindOf(string path)
    {
        // struct stat is 144 bytes on x86_64 and 128 on arm64; st_mode sits at offset 24 and 16 respectively.
        var modeOffset = ModeOffset();
        var buffer = stackalloc byte[256];
        if (lstat(path, buffer) != 0)
        {
            return FileKind.Missing;
        }

        return (*(uint*)(buffer + modeOffset) & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.SymbolicLink,
            _ => FileKind.Other,
        };
    }

    /// <summary>
    /// Device and inode of the entry itself (<c>lstat</c>: a symlink is not followed) and its <see cref="FileStamp"/>,
    /// from one <c>lstat</c> (so both describe the same object), or null when it is missing. st_dev and st_ino are the
    /// first two 8-byte fields of struct stat, and st_size, st_mtim and st_ctim sit at offsets 48, 88 and 104, on
    /// x86_64 and arm64 alike; st_mode at 24 and 16.
    /// </summary>
    public static unsafe (FileIdentity Identity, FileStamp Stamp)? StatOf(string path)
    {
        var modeOffset = ModeOffset();
        var buffer = stackalloc byte[256];
        if (lstat(path, buffer) != 0)
        {
            return null;
        }

        var type = (*(uint*)(buffer + modeOffset) & 0xF000) switch
        {
            0x8000 => 'f',
            0x4000 => 'd',
            0xA000 => 'l',
            0x1000 => 'p',
            0xC000 => 's',
            0x2000 => 'c',
            0x6000 => 'b',
            _ => 'U',
        };
        var stamp = new FileStamp(type, *(long*)(buffer + 48), (*(long*)(buffer + 88), *(long*)(buffer + 96)), (*(long*)(buffer + 104), *(long*)(buffer + 112)));
        return (new FileIdentity(*(ulong*)buffer, *(ulong*)(buffer + 8)), stamp);
    }

    private static int ModeOffset() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 24,
        Architecture.Arm64 => 16,
        var other => throw new PlatformNotSupportedException($"lstat layout unknown on {other}"),
    };

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int lstat(string path, byte* buffer);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc")]
    private static partial void free(IntPtr pointer);
}

/// <summary>What a directory entry is, as the kernel reports it.</summary>
internal enum FileKind
{
    Missing,
    Regular,
    Directory,
    SymbolicLink,
    Other,
}
