using System.Globalization;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// Names a process uniquely across pid reuse and reboots: its pid plus the boot id and the process's start time
/// (clock ticks since boot, field 22 of <c>/proc/PID/stat</c>). Broker containers carry it as labels so that a sweep
/// can tell the leftovers of a dead test host from the broker of a test run that is alive right now.
/// </summary>
internal sealed record TestProcessIdentity(int Pid, string StartMark)
{
    /// <summary>The test host running this code.</summary>
    public static TestProcessIdentity Current { get; } = new(Environment.ProcessId, StartMarkOf(Environment.ProcessId)!);

    /// <summary>True when the process this identity names still runs (same pid, same boot, same start time).</summary>
    public bool IsAlive => StartMarkOf(Pid) == StartMark;

    /// <summary><c>BOOT_ID/START_TICKS</c> of a running process, or null when no such process exists.</summary>
    private static string? StartMarkOf(int pid)
    {
        try
        {
            var bootId = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return bootId + "/" + fields[19];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
