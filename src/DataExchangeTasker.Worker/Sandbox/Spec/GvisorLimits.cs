namespace DataExchangeTasker.Sandbox.Spec;

/// <summary>
/// How a container's process limit is expressed under gVisor (<c>TASKER_RUNTIME</c> <c>runsc</c>, or a name starting
/// with it). gVisor's kernel runs in host tasks of the container's own pids cgroup: about 45 when idle, about five per
/// process of the code at rest, and up to about 35 per process while a fork bomb churns at the limit (measured with
/// Debian's runsc 20221219, ptrace platform: 2,300 host tasks for 64 processes); when that cgroup is full the whole
/// sandbox dies (exit 2, no results). So under gVisor the code's limit is <c>RLIMIT_NPROC</c>, which gVisor's kernel
/// enforces per uid inside the sandbox (EAGAIN, as the pids cgroup gives under runc), and the cgroup only bounds
/// the sandbox as a whole. Under runc <c>RLIMIT_NPROC</c> would count the uid's processes across all containers, so
/// it is not set there.
/// </summary>
internal static class GvisorLimits
{
    /// <summary>Host tasks of gVisor's own kernel, before any process of the code (about 45 measured).</summary>
    private const long SandboxTasks = 256;

    /// <summary>Host tasks per process of the code, with room to spare (up to about 35 measured).</summary>
    private const long TasksPerProcess = 48;

    /// <summary>True when <paramref name="runtime"/> names gVisor's runtime.</summary>
    public static bool IsGvisor(string? runtime) => runtime is not null && runtime.StartsWith("runsc", StringComparison.Ordinal);

    /// <summary>The container's pids cgroup limit for a code limit of <paramref name="processes"/> under <paramref name="runtime"/>.</summary>
    public static long PidsLimit(string? runtime, long processes) =>
        IsGvisor(runtime) ? SandboxTasks + (TasksPerProcess * processes) : processes;
}
