using System.Globalization;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Docker.Models;

namespace DataExchangeTasker.Sandbox;

/// <summary>
/// The locked-down container for one task: no network, read-only root, no capabilities, no privilege gain,
/// memory without swap, CPU, pids and ulimits, code and data mounted read-only, only <c>/tmp/out</c> writable.
/// </summary>
public sealed class ContainerSpecFactory(SandboxOptions options, string taskerId)
{
    /// <summary>The create request for a prepared task.</summary>
    public ContainerCreateRequest Create(PreparedTask task, WorkFolder work, DateTimeOffset? keepUntil)
    {
        var limits = task.Limits;
        var env = new List<string>
        {
            "STRACE_FILTER=" + options.StraceFilter,
            "HOME=/tmp",
            "PYTHONDONTWRITEBYTECODE=1",
            "PYTHONUNBUFFERED=1",
        };
        if (keepUntil is not null)
        {
            env.Add("KEEP_ALIVE_SECONDS=" + ((long)options.KeepAliveTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture));
        }

        var labels = new Dictionary<string, string>
        {
            [ContainerLabels.Managed] = "1",
            [ContainerLabels.TaskId] = task.Message.TaskId,
            [ContainerLabels.Owner] = taskerId,
            [ContainerLabels.WorkFolder] = work.Path,
        };
        if (keepUntil is { } until)
        {
            labels[ContainerLabels.KeepUntil] = until.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        }

        return new ContainerCreateRequest
        {
            Image = options.Image,
            Entrypoint = ["/usr/local/bin/tracerun.sh"],
            Cmd = [task.Entry, task.Data.ContainerPath],
            Env = env,
            User = options.User,
            WorkingDir = "/tmp",
            Labels = labels,
            NetworkDisabled = true,
            StopTimeout = 1,
            HostConfig = new HostConfig
            {
                Mounts =
                [
                    new Mount("bind", task.Code.HostPath, task.Code.ContainerPath, ReadOnly: true) { BindOptions = new BindOptions("rprivate") },
                    new Mount("bind", task.Data.HostPath, task.Data.ContainerPath, ReadOnly: true) { BindOptions = new BindOptions("rprivate") },
                    new Mount("bind", work.Path, "/tmp/out", ReadOnly: false) { BindOptions = new BindOptions("rprivate") },
                ],
                NetworkMode = "none",
                ReadonlyRootfs = true,
                Tmpfs = new Dictionary<string, string>
                {
                    ["/tmp"] = $"rw,nosuid,nodev,noexec,size={options.TmpfsSizeBytes},mode=1777",
                },
                CapDrop = ["ALL"],
                SecurityOpt = ["no-new-privileges"],
                Memory = limits.MemoryBytes,
                MemorySwap = limits.MemoryBytes,
                NanoCpus = (long)(limits.Cpus * 1_000_000_000),
                PidsLimit = limits.Pids,
                Ulimits =
                [
                    new Ulimit("fsize", options.FileSizeLimitBytes, options.FileSizeLimitBytes),
                    new Ulimit("nofile", options.OpenFilesLimit, options.OpenFilesLimit),
                    new Ulimit("core", 0, 0),
                ],
                Runtime = options.Runtime,
                Privileged = false,
                IpcMode = "private",
                // The code's own output goes to files in /tmp/out; keep the engine's log of the wrapper small.
                LogConfig = new LogConfig("json-file", new Dictionary<string, string> { ["max-size"] = "1m", ["max-file"] = "1" }),
            },
        };
    }
}
