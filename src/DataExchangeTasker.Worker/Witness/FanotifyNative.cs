using System.Runtime.InteropServices;

namespace DataExchangeTasker.Witness;

/// <summary>
/// The libc calls the witness needs and .NET does not offer: <c>fanotify_init</c>/<c>fanotify_mark</c>, raw
/// <c>read</c>/<c>close</c> of descriptors the kernel hands out per event, <c>statx</c> (unique mount ids),
/// <c>poll</c>, <c>eventfd</c> and <c>ioctl(FIONREAD)</c>. Constants are Linux's (x86-64 and arm64 alike).
/// </summary>
internal static partial class FanotifyNative
{
    public const uint FanClassNotif = 0x0;
    public const uint FanCloexec = 0x1;
    public const uint FanNonblock = 0x2;
    public const uint FanReportPidfd = 0x80;

    public const uint FanMarkAdd = 0x1;
    public const uint FanMarkRemove = 0x2;
    public const uint FanMarkDontFollow = 0x4;
    public const uint FanMarkOnlyDir = 0x8;
    public const uint FanMarkFlush = 0x80;

    public const ulong FanAccess = 0x1;
    public const ulong FanOpen = 0x20;
    public const ulong FanQueueOverflow = 0x4000;
    public const ulong FanEventOnChild = 0x0800_0000;
    public const ulong FanOnDir = 0x4000_0000;

    public const byte EventInfoTypePidfd = 4;
    public const int NoPidfd = -1;
    public const int ErrorPidfd = -2;

    public const int ORdOnly = 0x0;
    public const int ONonBlock = 0x800;
    public const int OLargeFile = 0x8000;
    public const int OCloExec = 0x80000;

    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const int AtEmptyPath = 0x1000;

    public const uint StatxType = 0x1;
    public const uint StatxIno = 0x100;
    public const uint StatxMountId = 0x1000;
    public const uint StatxMountIdUnique = 0x4000;

    public const int EfdCloExec = 0x80000;
    public const int EfdNonBlock = 0x800;

    public const short PollIn = 0x1;
    public const ulong FionRead = 0x541B;

    public const int EIntr = 4;
    public const int EAgain = 11;
    public const int ENoEnt = 2;
    public const int EPerm = 1;
    public const int EInval = 22;
    public const int EMFile = 24;
    public const int ENoSys = 38;
    public const int ENoSpc = 28;

    /// <summary>One <c>struct pollfd</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int fanotify_init(uint flags, uint eventFileFlags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int fanotify_mark(int fanotifyFd, uint flags, ulong mask, int dirFd, string? path);

    [LibraryImport("libc", SetLastError = true)]
    internal static unsafe partial nint read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    internal static unsafe partial nint write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int statx(int dirFd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial nint readlink(string path, byte* buffer, nuint size);

    [LibraryImport("libc", SetLastError = true)]
    internal static unsafe partial int poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int eventfd(uint initialValue, int flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static unsafe partial int fstat(int fd, byte* buffer);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int pidfd_open(int pid, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static unsafe partial int ioctl(int fd, ulong request, int* argument);
}
