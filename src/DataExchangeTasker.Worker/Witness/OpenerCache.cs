namespace DataExchangeTasker.Witness;

/// <summary>
/// Remembers, per process, what <see cref="OpenerLookup"/> found, so a task opening a thousand files costs one
/// <c>/proc</c> lookup rather than a thousand. A process is known by its pidfd's inode, which the kernel's pidfs
/// (Linux 6.9+) makes unique per process for the whole boot; on older kernels every pidfd shares one inode and
/// nothing is remembered. Only what cannot change is remembered: a non-root process in a container (it cannot leave
/// its cgroup nor regain a uid); a root process is looked up every time, since it may drop to the code's uid and
/// exec the code (the supervisor's own child does exactly that). Used by the reader thread only.
/// </summary>
internal sealed class OpenerCache
{
    private const int Capacity = 4096;

    // struct stat (x86-64 and arm64 generic): st_ino u64 at offset 8.
    private const int InodeOffset = 8;

    private readonly Dictionary<ulong, Opener> _byProcess = [];
    private readonly bool _usable = PidFdInodesAreUnique();

    /// <summary>Who made the open of <paramref name="pid"/> (see <see cref="OpenerLookup.Find"/>).</summary>
    public Opener Find(int pid, int pidFd)
    {
        var process = _usable && pidFd >= 0 ? InodeOf(pidFd) : 0;
        if (process != 0 && _byProcess.TryGetValue(process, out var known))
        {
            return known;
        }

        var opener = OpenerLookup.Find(pid, pidFd);
        if (process != 0 && opener is { Kind: OpenerKind.Container, Root: false })
        {
            if (_byProcess.Count >= Capacity)
            {
                _byProcess.Clear();
            }

            _byProcess[process] = opener;
        }

        return opener;
    }

    private static unsafe ulong InodeOf(int fd)
    {
        var buffer = stackalloc byte[256];
        return FanotifyNative.fstat(fd, buffer) == 0 ? *(ulong*)(buffer + InodeOffset) : 0;
    }

    /// <summary>True when pidfds of two processes (this one and init) have different inodes (pidfs).</summary>
    private static bool PidFdInodesAreUnique()
    {
        int self = -1, init = -1;
        try
        {
            self = FanotifyNative.pidfd_open(Environment.ProcessId, 0);
            init = FanotifyNative.pidfd_open(1, 0);
            if (self < 0 || init < 0)
            {
                return false;
            }

            var (a, b) = (InodeOf(self), InodeOf(init));
            return a != 0 && b != 0 && a != b;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
        finally
        {
            if (self >= 0)
            {
                FanotifyNative.close(self);
            }

            if (init >= 0)
            {
                FanotifyNative.close(init);
            }
        }
    }
}
