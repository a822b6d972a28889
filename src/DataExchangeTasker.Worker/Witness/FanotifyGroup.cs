using System.Globalization;
using System.Runtime.InteropServices;

namespace DataExchangeTasker.Witness;

/// <summary>
/// One fanotify notification group (<c>FAN_CLASS_NOTIF</c>: it watches, it never blocks an open) and the eventfd
/// that wakes its reader. Owned by <see cref="FanotifyWitness"/>, which closes it last; closing the group drops
/// every mark it holds.
/// </summary>
internal sealed class FanotifyGroup : IDisposable
{
    /// <summary>What a data mark reports: opens and reads, of the object itself and (folders) of its children.</summary>
    public const ulong FolderMask = FanotifyNative.FanOpen | FanotifyNative.FanAccess | FanotifyNative.FanOnDir | FanotifyNative.FanEventOnChild;

    /// <summary>What a mark on a data file reports.</summary>
    public const ulong FileMask = FanotifyNative.FanOpen | FanotifyNative.FanAccess;

    private readonly int _fd;
    private readonly int _wake;
    private int _disposed;

    private FanotifyGroup(int fd, int wake, bool pidFds)
    {
        _fd = fd;
        _wake = wake;
        PidFds = pidFds;
    }

    /// <summary>True when events carry a pidfd (<c>FAN_REPORT_PIDFD</c>, Linux 5.15+).</summary>
    public bool PidFds { get; }

    /// <summary>The group's descriptor number (for <c>/proc/self/fdinfo</c>).</summary>
    public int Descriptor => _fd;

    /// <summary>Opens a group; throws <see cref="WitnessUnavailableException"/> saying why this host cannot have one.</summary>
    public static FanotifyGroup Open()
    {
        const uint flags = FanotifyNative.FanClassNotif | FanotifyNative.FanCloexec | FanotifyNative.FanNonblock;
        // Event descriptors are opened non-blocking: a FIFO or device in a data folder must not stall the reader.
        const uint eventFlags = FanotifyNative.ORdOnly | FanotifyNative.OLargeFile | FanotifyNative.OCloExec | FanotifyNative.ONonBlock;
        var pidFds = true;
        int fd;
        try
        {
            fd = FanotifyNative.fanotify_init(flags | FanotifyNative.FanReportPidfd, eventFlags);
            if (fd < 0 && Marshal.GetLastPInvokeError() == FanotifyNative.EInval)
            {
                // A kernel before 5.15 knows no FAN_REPORT_PIDFD: attribute by pid alone.
                pidFds = false;
                fd = FanotifyNative.fanotify_init(flags, eventFlags);
            }
        }
        catch (EntryPointNotFoundException)
        {
            throw new WitnessUnavailableException("this C library has no fanotify_init (not Linux, or a libc without it)");
        }

        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new WitnessUnavailableException(errno switch
            {
                FanotifyNative.EPerm => "the tasker does not have CAP_SYS_ADMIN on the host (fanotify_init: permission denied); run it as root or give it that capability",
                FanotifyNative.EMFile => "this user already has the most fanotify groups the kernel allows (fs.fanotify.max_user_groups)",
                FanotifyNative.ENoSys => "this kernel was built without fanotify",
                _ => $"fanotify_init failed with errno {errno}",
            });
        }

        var wake = FanotifyNative.eventfd(0, FanotifyNative.EfdCloExec | FanotifyNative.EfdNonBlock);
        if (wake < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            FanotifyNative.close(fd);
            throw new WitnessUnavailableException($"eventfd failed with errno {errno}");
        }

        return new FanotifyGroup(fd, wake, pidFds);
    }

    /// <summary>Adds a mark on the folder or file at <paramref name="path"/> (not following a final link); 0 or the errno.</summary>
    public int Mark(string path, bool folder) =>
        Call(FanotifyNative.fanotify_mark(_fd, FanotifyNative.FanMarkAdd | FanotifyNative.FanMarkDontFollow | (folder ? FanotifyNative.FanMarkOnlyDir : 0),
            folder ? FolderMask : FileMask, FanotifyNative.AtFdCwd, path));

    /// <summary>Removes the mark <see cref="Mark"/> added; 0 or the errno (<c>ENOENT</c>: there was none).</summary>
    public int Unmark(string path, bool folder) =>
        Call(FanotifyNative.fanotify_mark(_fd, FanotifyNative.FanMarkRemove | FanotifyNative.FanMarkDontFollow | (folder ? FanotifyNative.FanMarkOnlyDir : 0),
            folder ? FolderMask : FileMask, FanotifyNative.AtFdCwd, path));

    /// <summary>Removes every inode mark of the group.</summary>
    public int Flush() => Call(FanotifyNative.fanotify_mark(_fd, FanotifyNative.FanMarkFlush, 0, FanotifyNative.AtFdCwd, null));

    /// <summary>
    /// Reads queued events into <paramref name="buffer"/>: the bytes read, or 0 when none are queued. The caller owns
    /// (and must close) every descriptor in what was read.
    /// </summary>
    public unsafe int Read(Span<byte> buffer)
    {
        while (true)
        {
            nint read;
            fixed (byte* p = buffer)
            {
                read = FanotifyNative.read(_fd, p, (nuint)buffer.Length);
            }

            if (read >= 0)
            {
                return (int)read;
            }

            var errno = Marshal.GetLastPInvokeError();
            switch (errno)
            {
                case FanotifyNative.EAgain:
                    return 0;
                case FanotifyNative.EIntr:
                    continue;
                default:
                    throw new IOException($"read of the fanotify descriptor failed with errno {errno}");
            }
        }
    }

    /// <summary>Bytes of events queued in the kernel right now (<c>FIONREAD</c>).</summary>
    public unsafe int QueuedBytes()
    {
        var bytes = 0;
        return FanotifyNative.ioctl(_fd, FanotifyNative.FionRead, &bytes) == 0
            ? bytes
            : throw new IOException($"FIONREAD on the fanotify descriptor failed with errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Blocks until events are queued or <see cref="Wake"/> was called.</summary>
    public unsafe void Wait()
    {
        var fds = stackalloc FanotifyNative.PollFd[2];
        fds[0] = new FanotifyNative.PollFd { Fd = _fd, Events = FanotifyNative.PollIn };
        fds[1] = new FanotifyNative.PollFd { Fd = _wake, Events = FanotifyNative.PollIn };
        while (FanotifyNative.poll(fds, 2, -1) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != FanotifyNative.EIntr)
            {
                throw new IOException($"poll of the fanotify descriptor failed with errno {errno}");
            }
        }
    }

    /// <summary>
    /// Blocks up to <paramref name="timeoutMs"/> or until <see cref="Wake"/> is called, without watching the event
    /// queue: events keep accumulating meanwhile (and the kernel merges a process's repeated events on one object).
    /// </summary>
    public unsafe void Nap(int timeoutMs)
    {
        var fd = new FanotifyNative.PollFd { Fd = _wake, Events = FanotifyNative.PollIn };
        _ = FanotifyNative.poll(&fd, 1, timeoutMs);
    }

    /// <summary>Makes a blocked (or the next) <see cref="Wait"/> or <see cref="Nap"/> return. Thread-safe.</summary>
    public unsafe void Wake()
    {
        ulong one = 1;
        _ = FanotifyNative.write(_wake, (byte*)&one, sizeof(ulong));
    }

    /// <summary>Resets the wake-up signal (the reader calls it before looking at its requests).</summary>
    public unsafe void ClearWake()
    {
        ulong count;
        _ = FanotifyNative.read(_wake, (byte*)&count, sizeof(ulong));
    }

    /// <summary>Inode marks the group holds, as the kernel lists them in <c>/proc/self/fdinfo</c>.</summary>
    public int InodeMarks() => CountInodeMarks(File.ReadAllText("/proc/self/fdinfo/" + _fd.ToString(CultureInfo.InvariantCulture)));

    /// <summary>The <c>fanotify ino:</c> lines of a fanotify descriptor's fdinfo text.</summary>
    internal static int CountInodeMarks(string fdinfo)
    {
        ArgumentNullException.ThrowIfNull(fdinfo);
        return fdinfo.Split('\n').Count(line => line.StartsWith("fanotify ino:", StringComparison.Ordinal));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            FanotifyNative.close(_wake);
            FanotifyNative.close(_fd);
        }
    }

    private static int Call(int result) => result == 0 ? 0 : Marshal.GetLastPInvokeError();
}
