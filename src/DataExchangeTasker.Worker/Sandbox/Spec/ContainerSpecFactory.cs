using System.Globalization;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Sandbox.Run;
using DataExchangeTasker.Sandbox.Preparation;
using Docker.DotNet.Models;

namespace DataExchangeTasker.Sandbox.Spec;

/// <summary>
/// The sealed container for one task (docs/sandbox-design.md, section 3): the runner's supervisor is pid 1 as root
/// with only the four capabilities strace and the uid drop need; the code runs under it as <c>TASKER_USER</c> with
/// none. No network, read-only root, no privilege gain, the tasker's seccomp profile (<see cref="SeccompProfile"/>),
/// memory without swap, CPU, pids and ulimits. The code snapshot and the data are read-only binds; everything writable
/// (<c>/tmp</c>, the code's <c>/tmp/out</c>, the supervisor's root-only <c>/run/tasker</c>) is a Docker tmpfs that
/// exists only inside the container.
/// </summary>
internal sealed class ContainerSpecFactory(SandboxOptions options, string taskerId)
{
    /// <summary>The supervisor inside the runner image.</summary>
    public const string Supervisor = "/usr/local/bin/supervise.sh";

    /// <summary>Where a task's installed requirements.txt is mounted (read-only) and put on <c>PYTHONPATH</c>.</summary>
    public const string DependenciesMount = "/opt/tasker/deps";

    /// <summary>
    /// How long the supervisor keeps the container (and so its results) up after "results ready" for the tasker to
    /// collect them, also across a tasker restart; the tasker removes it as soon as it has them.
    /// </summary>
    public static readonly TimeSpan CollectWindow = SealedContainer.CollectWindow;

    /// <summary>The create request for a prepared task.</summary>
    public CreateContainerParameters Create(PreparedTask task, DateTimeOffset? keepUntil)
    {
        ArgumentNullException.ThrowIfNull(task);
        var limits = task.Limits;
        var (uid, gid) = CodeUser(options.User);
        var env = new List<string>
        {
            "TASKER_CODE_USER=" + options.User,
            "STRACE_FILTER=" + options.StraceFilter,
            "HOME=/tmp",
            "PYTHONDONTWRITEBYTECODE=1",
            "PYTHONUNBUFFERED=1",
            "TASKER_COLLECT_SECONDS=" + ((long)CollectWindow.TotalSeconds).ToString(CultureInfo.InvariantCulture),
        };
        if (task.Image is { } image)
        {
            env.Add("TASKER_INTERPRETER=" + image.Interpreter);
        }

        if (task.DependencySite is not null)
        {
            // Ahead of the image's own packages, so a version the requirements name wins. A PYTHONPATH entry is not a
            // site folder: no .pth file of a package runs at start-up.
            env.Add("PYTHONPATH=" + DependenciesMount);
        }

        if (task.Data.Identity is { } identity)
        {
            env.Add("TASKER_DATA_DEV=" + identity.Device.ToString(CultureInfo.InvariantCulture));
            env.Add("TASKER_DATA_INO=" + identity.Inode.ToString(CultureInfo.InvariantCulture));
        }

        if (task.Data.Stamp is { } stamp)
        {
            env.Add("TASKER_DATA_STAMP=" + stamp.Text);
        }

        if (keepUntil is not null)
        {
            env.Add("KEEP_ALIVE_SECONDS=" + ((long)options.KeepAliveTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture));
        }

        var labels = new Dictionary<string, string>
        {
            [ContainerLabels.Managed] = "1",
            [ContainerLabels.TaskId] = task.Message.TaskId,
            [ContainerLabels.Owner] = taskerId,
        };
        if (keepUntil is { } until)
        {
            labels[ContainerLabels.KeepUntil] = until.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        }

        // The trace and the two streams share /run/tasker; each is capped by the fsize ulimit.
        var runTaskerBytes = (3 * options.FileSizeLimitBytes) + (1024 * 1024);
        return new CreateContainerParameters
        {
            // An approved image runs by the id pinned at start-up, never by its (movable) tag.
            Image = task.Image?.Id ?? options.Image,
            Entrypoint = [Supervisor],
            Cmd = [task.Entry, task.Data.ContainerPath],
            Env = env,
            User = "0:0",
            WorkingDir = "/tmp",
            Labels = labels,
            NetworkDisabled = true,
            StopTimeout = TimeSpan.FromSeconds(1),
            // The supervisor's stdin takes the tasker's release line (SupervisorChannel); it stays open when an attached
            // client goes (StdinOnce false), so a tasker that dies leaves the supervisor waiting, not exiting.
            OpenStdin = true,
            StdinOnce = false,
            Tty = false,
            HostConfig = new HostConfig
            {
                Mounts =
                [
                    // The snapshot, never the live code path: what runs is what was hashed.
                    Bind(task.Snapshot.MountSource, task.Code.ContainerPath),
                    Bind(task.Data.HostPath, task.Data.ContainerPath),
                    .. task.DependencySite is { } site ? [Bind(site, DependenciesMount)] : Array.Empty<Mount>(),
                ],
                NetworkMode = "none",
                ReadonlyRootfs = true,
                Tmpfs = new Dictionary<string, string>
                {
                    ["/tmp"] = Tmpfs(options.TmpfsSizeBytes, "mode=1777"),
                    ["/tmp/out"] = Tmpfs(options.WorkSizeLimitBytes, $"mode=0700,uid={uid},gid={gid}"),
                    ["/run/tasker"] = Tmpfs(runTaskerBytes, "mode=0700"),
                },
                CapDrop = ["ALL"],
                // The bounding set of pid 1 (root): strace needs SYS_PTRACE, and DAC_READ_SEARCH to name the file behind
                // each of the code's fds (-y reads /proc/<pid>/fd, which belongs to the code's uid); the drop to the
                // code's uid needs SETUID/SETGID. The code itself holds none of them (setresuid to a non-zero uid
                // clears them), and the seccomp profile refuses open_by_handle_at even to root.
                CapAdd = ["SYS_PTRACE", "SETUID", "SETGID", "DAC_READ_SEARCH"],
                SecurityOpt = ["no-new-privileges", SeccompProfile.SecurityOpt],
                Memory = limits.MemoryBytes,
                MemorySwap = limits.MemoryBytes,
                NanoCPUs = (long)(limits.Cpus * 1_000_000_000),
                PidsLimit = GvisorLimits.PidsLimit(options.Runtime, limits.Pids),
                Ulimits =
                [
                    Limit("fsize", options.FileSizeLimitBytes),
                    Limit("nofile", options.OpenFilesLimit),
                    Limit("core", 0),
                    // No POSIX message queue can be created (mq_open: EMFILE); /dev/shm stays, private (IpcMode) and 64 MiB.
                    Limit("msgqueue", 0),
                    .. GvisorLimits.IsGvisor(options.Runtime) ? [Limit("nproc", limits.Pids)] : Array.Empty<Ulimit>(),
                ],
                Runtime = options.Runtime,
                Privileged = false,
                IpcMode = "private",
                // The supervisor's stdout is the results channel, read live through the attach: the engine keeps no copy.
                LogConfig = new LogConfig { Type = "none" },
            },
        };
    }

    /// <summary>The numeric uid and gid of <c>TASKER_USER</c> (<c>uid:gid</c>; a lone uid means the same gid).</summary>
    public static (long Uid, long Gid) CodeUser(string user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var parts = user.Split(':');
        var uid = long.Parse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture);
        var gid = parts.Length > 1 ? long.Parse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture) : uid;
        return (uid, gid);
    }

    private static string Tmpfs(long sizeBytes, string extra) =>
        string.Create(CultureInfo.InvariantCulture, $"rw,nosuid,nodev,noexec,size={sizeBytes},{extra}");

    /// <summary>A read-only bind mount; unlike a <c>Binds</c> string it handles colons and spaces in paths.</summary>
    private static Mount Bind(string source, string target) => new()
    {
        Type = "bind",
        Source = source,
        Target = target,
        ReadOnly = true,
        BindOptions = new BindOptions { Propagation = "rprivate" },
    };

    private static Ulimit Limit(string name, long value) => new() { Name = name, Soft = value, Hard = value };
}
