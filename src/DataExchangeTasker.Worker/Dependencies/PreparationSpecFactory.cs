using System.Globalization;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Sandbox.Spec;
using Docker.DotNet.Models;

namespace DataExchangeTasker.Dependencies;

/// <summary>
/// The preparation container that installs a <c>requirements.txt</c> (docs/requirements-design.md, section 2): the
/// run's image, sealed like a run (code uid, read-only root, no capabilities, no privilege gain, the tasker's seccomp
/// profile and, in images that have it, the code's own filter around pip, the node's memory, CPU, pids and ulimits)
/// but with nothing of the task's data or results and no supervisor: only pip runs, from
/// wheels (<c>--only-binary=:all:</c>, so no package code runs at install time). It sees exactly one file of the code,
/// the requirements, and the wheelhouse read-only; no network except, in index mode, the operator's internal network.
/// pip installs into a tmpfs what the image does not already have; the container then waits (<c>sleep</c>) until the
/// tasker has copied the result out.
/// </summary>
internal sealed class PreparationSpecFactory(SandboxOptions sandbox, DependencyOptions options, string taskerId)
{
    /// <summary>Where the requirements file is mounted, alone.</summary>
    public const string RequirementsPath = "/opt/tasker/req/requirements.txt";

    /// <summary>Where the wheelhouse is mounted, read-only.</summary>
    public const string WheelsPath = "/opt/tasker/wheels";

    /// <summary>The tmpfs pip installs into; <c>site</c> below it is what the tasker keeps.</summary>
    public const string OutPath = "/tmp/deps";

    /// <summary>The line that ends pip's output, with its exit status after it.</summary>
    public const string StatusPrefix = "tasker-prepare: pip exited ";

    /// <summary>Marks a preparation container (as opposed to a task's).</summary>
    public const string RoleLabel = "dataexchange.tasker.role";

    /// <summary>The cache key the container installs for.</summary>
    public const string KeyLabel = "dataexchange.tasker.deps-key";

    // pip installs into a prefix, so that requirements the image's own packages already meet are not installed again
    // (pip's --target would ignore them); the prefix's library folder (Debian: local/lib/python3.X/dist-packages) then
    // becomes <out>/site. pip's output goes to the engine's log (stdout), then one status line; on success the
    // container stays up for the tasker to copy the site out with docker exec, because the tmpfs dies with it.
    private const string Script = """
        if [ -x /usr/local/bin/tasker-code-filter ]; then
          set -- /usr/local/bin/tasker-code-filter --tracer=none -- "$(command -v python3)" -m pip "$@"
        else
          set -- python3 -m pip "$@"
        fi
        "$@" 2>&1; status=$?
        if [ "$status" -eq 0 ]; then
          paths=$(python3 -c 'import sysconfig; p = sysconfig.get_paths(vars={"base": "/tmp/deps/prefix", "platbase": "/tmp/deps/prefix"}); print(p["purelib"]); print(p["platlib"])') || status=70
        fi
        if [ "$status" -eq 0 ]; then
          purelib=$(echo "$paths" | sed -n 1p); platlib=$(echo "$paths" | sed -n 2p)
          if [ -d "$purelib" ]; then mv "$purelib" /tmp/deps/site || status=70; else mkdir /tmp/deps/site || status=70; fi
          if [ "$status" -eq 0 ] && [ "$platlib" != "$purelib" ] && [ -d "$platlib" ]; then cp -R "$platlib"/. /tmp/deps/site/ || status=70; fi
        fi
        echo "tasker-prepare: pip exited $status"
        if [ "$status" -eq 0 ]; then exec sleep "$TASKER_COLLECT_SECONDS"; fi
        exit "$status"
        """;

    /// <summary>The container's name for a cache key: the same on this tasker, so two of them cannot both exist.</summary>
    public string NameFor(string key) => ContainerLabels.PreparationKey(taskerId, key);

    /// <summary>The create request installing <paramref name="requirementsFile"/> (a file of a code snapshot) with image <paramref name="imageId"/>.</summary>
    public CreateContainerParameters Create(string key, string requirementsFile, string imageId, TimeSpan collectWindow)
    {
        var (uid, gid) = ContainerSpecFactory.CodeUser(sandbox.User);
        var index = options.Source == DependencySource.Index;
        var mounts = new List<Mount> { ReadOnlyBind(requirementsFile, RequirementsPath) };
        if (options.Source == DependencySource.Wheelhouse)
        {
            mounts.Add(ReadOnlyBind(options.Wheelhouse!, WheelsPath));
        }

        return new CreateContainerParameters
        {
            Image = imageId,
            Entrypoint = ["/bin/sh", "-c", Script, "tasker-prepare"],
            Cmd = PipArguments(),
            Env =
            [
                "HOME=/tmp",
                "PYTHONDONTWRITEBYTECODE=1",
                "PIP_NO_CACHE_DIR=1",
                "PIP_DISABLE_PIP_VERSION_CHECK=1",
                "TASKER_COLLECT_SECONDS=" + ((long)collectWindow.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            ],
            User = sandbox.User,
            WorkingDir = "/tmp",
            Labels = new Dictionary<string, string>
            {
                [ContainerLabels.Managed] = "1",
                [ContainerLabels.Owner] = taskerId,
                [RoleLabel] = "prepare",
                [KeyLabel] = key,
            },
            NetworkDisabled = !index,
            StopTimeout = TimeSpan.FromSeconds(1),
            HostConfig = new HostConfig
            {
                Mounts = mounts,
                NetworkMode = index ? options.Network! : "none",
                ReadonlyRootfs = true,
                Tmpfs = new Dictionary<string, string>
                {
                    ["/tmp"] = Tmpfs(sandbox.TmpfsSizeBytes, "mode=1777"),
                    [OutPath] = Tmpfs(options.SizeLimitBytes, $"mode=0700,uid={uid},gid={gid}"),
                },
                CapDrop = ["ALL"],
                SecurityOpt = ["no-new-privileges", SeccompProfile.SecurityOpt],
                Memory = sandbox.MemoryLimitBytes,
                MemorySwap = sandbox.MemoryLimitBytes,
                NanoCPUs = (long)(sandbox.CpuLimit * 1_000_000_000),
                PidsLimit = GvisorLimits.PidsLimit(sandbox.Runtime, sandbox.PidsLimit),
                Ulimits =
                [
                    new Ulimit { Name = "fsize", Soft = sandbox.FileSizeLimitBytes, Hard = sandbox.FileSizeLimitBytes },
                    new Ulimit { Name = "nofile", Soft = sandbox.OpenFilesLimit, Hard = sandbox.OpenFilesLimit },
                    new Ulimit { Name = "core", Soft = 0, Hard = 0 },
                    .. GvisorLimits.IsGvisor(sandbox.Runtime) ? [new Ulimit { Name = "nproc", Soft = sandbox.PidsLimit, Hard = sandbox.PidsLimit }] : Array.Empty<Ulimit>(),
                ],
                Runtime = sandbox.Runtime,
                Privileged = false,
                IpcMode = "private",
                LogConfig = new LogConfig { Type = "json-file", Config = new Dictionary<string, string> { ["max-size"] = "8m", ["max-file"] = "1" } },
            },
        };
    }

    private List<string> PipArguments()
    {
        // --break-system-packages: Debian marks its Python externally managed (PEP 668); installing into a private
        // prefix in a throwaway container breaks nothing.
        List<string> args = ["install", "--no-input", "--no-cache-dir", "--disable-pip-version-check", "--progress-bar", "off",
            "--only-binary=:all:", "--no-compile", "--break-system-packages", "--prefix", OutPath + "/prefix"];
        switch (options.Source)
        {
            case DependencySource.Wheelhouse:
                args.AddRange(["--no-index", "--find-links", WheelsPath]);
                break;
            case DependencySource.Index:
                args.AddRange(["--index-url", options.IndexUrl!.ToString()]);
                if (options.IndexUrl.Scheme == "http")
                {
                    // The operator chose a plain-HTTP mirror on an internal network; pip would refuse it otherwise.
                    args.AddRange(["--trusted-host", options.IndexUrl.Host]);
                }

                break;
            default:
                // No package source: every requirement must be met by the image's own packages, or pip fails.
                args.Add("--no-index");
                break;
        }

        args.AddRange(["-r", RequirementsPath]);
        return args;
    }

    private static string Tmpfs(long sizeBytes, string extra) =>
        string.Create(CultureInfo.InvariantCulture, $"rw,nosuid,nodev,noexec,size={sizeBytes},{extra}");

    private static Mount ReadOnlyBind(string source, string target) => new()
    {
        Type = "bind",
        Source = source,
        Target = target,
        ReadOnly = true,
        BindOptions = new BindOptions { Propagation = "rprivate" },
    };
}
