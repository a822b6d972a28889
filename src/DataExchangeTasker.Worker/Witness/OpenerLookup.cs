using System.Globalization;
using System.Text;

namespace DataExchangeTasker.Witness;

/// <summary>
/// Reads, from the host's <c>/proc</c>, the container and uids of the process that made an open, while it still
/// exists. With a pidfd the answer is race-free: the pidfd is checked to still name a running process after
/// <c>/proc/&lt;pid&gt;</c> was read, so the pid was not reused in between (a pid is only reused once its process
/// is gone). Without one (a kernel before 5.15) a pid reused within microseconds could mislead it.
/// </summary>
internal static class OpenerLookup
{
    private const int MaxProcFileBytes = 4096;

    /// <summary>Who made the open of <paramref name="pid"/> (its pidfd, or <see cref="FanotifyEvent.NotReported"/>).</summary>
    public static Opener Find(int pid, int pidFd)
    {
        if (pid <= 0 || (pidFd < 0 && pidFd != FanotifyEvent.NotReported))
        {
            return Opener.Gone;
        }

        var folder = "/proc/" + pid.ToString(CultureInfo.InvariantCulture);
        var cgroup = ReadSmall(folder + "/cgroup");
        var status = cgroup is null ? null : ReadSmall(folder + "/status");
        if (status is null || (pidFd >= 0 && Exited(pidFd)))
        {
            return Opener.Gone;
        }

        var container = CgroupContainerId.Find(cgroup);
        return new Opener(container is null ? OpenerKind.Host : OpenerKind.Container, container, AllUidsZero(status));
    }

    /// <summary>True when the <c>Uid:</c> line of a <c>/proc/&lt;pid&gt;/status</c> text shows uid 0 in all four places.</summary>
    internal static bool AllUidsZero(ReadOnlySpan<char> status)
    {
        foreach (var line in status.EnumerateLines())
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                var any = false;
                foreach (var range in line[4..].Split('\t'))
                {
                    var field = line[4..][range].Trim();
                    if (field.Length == 0)
                    {
                        continue;
                    }

                    if (!field.SequenceEqual("0"))
                    {
                        return false;
                    }

                    any = true;
                }

                return any;
            }
        }

        return false;
    }

    /// <summary>True once the process behind <paramref name="pidFd"/> has exited (a pidfd polls readable then).</summary>
    private static unsafe bool Exited(int pidFd)
    {
        var fd = new FanotifyNative.PollFd { Fd = pidFd, Events = FanotifyNative.PollIn };
        var ready = FanotifyNative.poll(&fd, 1, 0);
        return ready != 0 && (ready < 0 || (fd.Revents & FanotifyNative.PollIn) != 0);
    }

    /// <summary>A small /proc file's text, or null when the process is gone.</summary>
    private static string? ReadSmall(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            Span<byte> bytes = stackalloc byte[MaxProcFileBytes];
            var total = 0;
            int read;
            while (total < bytes.Length && (read = RandomAccess.Read(handle, bytes[total..], total)) > 0)
            {
                total += read;
            }

            return Encoding.UTF8.GetString(bytes[..total]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
