using System.Globalization;

namespace DataExchangeTasker.Sandbox.Collection;

/// <summary>
/// What the runner's supervisor (<c>runner-image/supervise.sh</c>) recorded about a run, from
/// <c>/run/tasker/manifest</c>: <c>key=value</c> lines, unknown keys ignored.
/// </summary>
/// <param name="Status">The code's exit status (128 + n when signal n ended it); null when the code never ran.</param>
/// <param name="TraceComplete">strace saw the code's top process end and no code process outlived strace.</param>
/// <param name="TimedOut">The tasker's timeout signal (SIGUSR1) made the supervisor kill the code.</param>
/// <param name="PathChanged">The object at <c>/tmp/data/&lt;dataPath&gt;</c> was not the resolved one; the code never ran.</param>
/// <param name="Survivors">A code process was still alive when strace ended (it escaped the trace).</param>
internal sealed record SupervisorManifest(int? Status, bool TraceComplete, bool TimedOut, bool PathChanged, bool Survivors)
{
    /// <summary>The container's memory cgroup OOM-killed a process during the run (the kernel's <c>oom_kill</c> count rose).</summary>
    public bool OomKilled { get; init; }

    /// <summary>
    /// <c>/tmp/out</c> held at least one entry when the code ended (true when the supervisor did not say, so an older
    /// runner image is still collected in full).
    /// </summary>
    public bool HasOutputs { get; init; } = true;

    /// <summary>
    /// The runtime handed strace a stale result for a traced call (gVisor, after a seccomp filter refused one of the
    /// task's calls: a call that succeeded printed as ENOSYS), so the trace misstates what the code did;
    /// <see cref="TraceComplete"/> is then false.
    /// </summary>
    public bool Misreported { get; init; }

    /// <summary>
    /// The memory cgroup's high-water mark over the run, in bytes, as the supervisor read it once the code had ended
    /// (what the engine's stats report too); null where the container sees no memory cgroup (gVisor).
    /// </summary>
    public long? PeakMemoryBytes { get; init; }

    /// <summary>The exit status of the tar that archived <c>/tmp/out</c> as the code's uid (non-zero: something was skipped, e.g. a file the code made unreadable).</summary>
    public int OutputsStatus { get; init; }

    /// <summary>When the supervisor started (its first command, within milliseconds of the container's start); null when it did not say.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>The largest manifest read; the supervisor writes about 250 bytes.</summary>
    public const int MaxBytes = 4096;

    /// <summary>The protocol version this tasker understands.</summary>
    public const int Version = 1;

    /// <summary>Parses a manifest; throws <see cref="InvalidDataException"/> for another version or a malformed value.</summary>
    public static SupervisorManifest Parse(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                values[line[..equals]] = line[(equals + 1)..].Trim();
            }
        }

        if (!values.TryGetValue("version", out var version) || version != Version.ToString(CultureInfo.InvariantCulture))
        {
            throw new InvalidDataException($"Supervisor manifest version \"{version}\" is not {Version}.");
        }

        int? status = values.GetValueOrDefault("status", "") is { Length: > 0 } s
            ? int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed <= 255
                ? parsed
                : throw new InvalidDataException($"Supervisor manifest status \"{s}\" is not 0-255.")
            : null;
        return new SupervisorManifest(status, Flag(values, "trace_complete"), Flag(values, "timed_out"), Flag(values, "path_changed"), Flag(values, "survivors"))
        {
            OomKilled = Flag(values, "oom_killed"),
            HasOutputs = !values.ContainsKey("outputs") || Flag(values, "outputs"),
            Misreported = Flag(values, "misreported"),
            PeakMemoryBytes = values.GetValueOrDefault("peak_memory", "") is { Length: > 0 } peak
                ? long.TryParse(peak, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) ? bytes : throw new InvalidDataException($"Supervisor manifest peak_memory \"{peak}\" is not a byte count.")
                : null,
            OutputsStatus = values.GetValueOrDefault("outputs_status", "") is { Length: > 0 } tar
                ? int.TryParse(tar, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code <= 255 ? code : throw new InvalidDataException($"Supervisor manifest outputs_status \"{tar}\" is not 0-255.")
                : 0,
            StartedAt = values.GetValueOrDefault("started_at", "") is { Length: > 0 } started
                ? decimal.TryParse(started, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) && seconds is > 0 and < 253402300800m
                    ? DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond))
                    : throw new InvalidDataException($"Supervisor manifest started_at \"{started}\" is not seconds since the epoch.")
                : null,
        };
    }

    private static bool Flag(Dictionary<string, string> values, string key) => values.GetValueOrDefault(key, "0") switch
    {
        "0" => false,
        "1" => true,
        var other => throw new InvalidDataException($"Supervisor manifest {key} \"{other}\" is not 0 or 1."),
    };
}
