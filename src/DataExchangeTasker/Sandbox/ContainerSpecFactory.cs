using System.Globalization;
using DataExchangeTasker.Configuration;
using Docker.DotNet.Models;

namespace DataExchangeTasker.Sandbox;

/// <summary>
/// The locked-down container for one task: no network, read-only root, no capabilities, no privilege gain,
/// memory without swap, CPU, pids and ulimits, code and data mounted read-only, only <c>/tmp/out</c> writable.
/// </summary>
public sealed class ContainerSpecFactory(SandboxOptions options, string taskerId)
{
    /// <summary>The create request for a prepared task.</summary>
    public CreateContainerParameters Create(PreparedTask task, WorkFolder work, DateTimeOffset? keepUntil)
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

        return new CreateContainerParameters
        {
            Image = options.Image,
            Entrypoint = ["/usr/local/bin/tracerun.sh"],
            Cmd = [task.Entry, task.Data.ContainerPath],
            Env = env,
            User = options.User,
            WorkingDir = "/tmp",
            Labels = labels,
            NetworkDisabled = true,
            StopTimeout = TimeSpan.FromSeconds(1),
            HostConfig = new HostConfig
            {
                Mounts =
                [
                    Bind(task.Code.HostPath, task.Code.ContainerPath, readOnly: true),
                    Bind(task.Data.HostPath, task.Data.ContainerPath, readOnly: true),
                    Bind(work.Path, "/tmp/out", readOnly: false),
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
                NanoCPUs = (long)(limits.Cpus * 1_000_000_000),
                PidsLimit = limits.Pids,
                Ulimits =
                [
                    Limit("fsize", options.FileSizeLimitBytes),
                    Limit("nofile", options.OpenFilesLimit),
                    Limit("core", 0),
                ],
                Runtime = options.Runtime,
                Privileged = false,
                IpcMode = "private",
                // The code's own output goes to files in /tmp/out; keep the engine's log of the wrapper small.
                LogConfig = new LogConfig { Type = "json-file", Config = new Dictionary<string, string> { ["max-size"] = "1m", ["max-file"] = "1" } },
            },
        };
    }

    /// <summary>A bind mount; unlike a <c>Binds</c> string it handles colons and spaces in paths.</summary>
    private static Mount Bind(string source, string target, bool readOnly) => new()
    {
        Type = "bind",
        Source = source,
        Target = target,
        ReadOnly = readOnly,
        BindOptions = new BindOptions { Propagation = "rprivate" },
    };

    private static Ulimit Limit(string name, long value) => new() { Name = name, Soft = value, Hard = value };
}
