using DataExchangeTasker.Configuration;
using DataExchangeTasker.Docker;
using Serilog;

namespace DataExchangeTasker.Witness;

/// <summary>
/// Chooses the witness for <c>TASKER_WITNESS</c>: <c>off</c>; <c>fanotify</c>, which must work or start-up fails
/// (exit 3); or <c>auto</c>, fanotify when the host allows it and off (saying why) when it does not.
/// </summary>
public static class WitnessStartup
{
    /// <summary>The witness for <paramref name="mode"/>; throws <see cref="ConfigurationException"/> when <c>fanotify</c> cannot be had.</summary>
    public static ITaskWitness Create(WitnessMode mode, SandboxOptions sandbox, IDockerEngine docker, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentNullException.ThrowIfNull(log);
        if (mode == WitnessMode.Off)
        {
            return new OffWitness($"{Settings.Witness.Name}=off");
        }

        try
        {
            RequireCheckedRuntime(sandbox.Runtime);
            return FanotifyWitness.Start(docker, sandbox.StraceFilter, log);
        }
        catch (WitnessUnavailableException e) when (mode == WitnessMode.Auto)
        {
            return new OffWitness(e.Message);
        }
        catch (WitnessUnavailableException e)
        {
            throw new ConfigurationException([$"{Settings.Witness.Name}=\"fanotify\" cannot be met: {e.Message}"]);
        }
    }

    /// <summary>
    /// For <c>tasker run --check</c>: opens and closes a group. Returns the line's text and whether it is a failure
    /// (only when <c>fanotify</c> is required); an <c>auto</c> witness that cannot work is a warning.
    /// </summary>
    public static (string Text, bool Failed, bool Warning) Probe(WitnessMode mode, SandboxOptions sandbox)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        if (mode == WitnessMode.Off)
        {
            return ($"off ({Settings.Witness.Name}=off)", false, false);
        }

        try
        {
            RequireCheckedRuntime(sandbox.Runtime);
            using var group = FanotifyGroup.Open();
            return ("fanotify" + (group.PidFds ? " with pidfd reporting" : " without pidfd reporting (kernel before 5.15)") +
                (StraceFilterCoverage.RecordsOpens(sandbox.StraceFilter) ? "" : $"; {Settings.StraceFilter.Name} records no opens, so its list stands in for dataRead"), false, false);
        }
        catch (WitnessUnavailableException e)
        {
            return mode == WitnessMode.Auto
                ? ($"off: {e.Message} ({Settings.Witness.Name}=auto runs without it; =fanotify would refuse to start)", false, true)
                : ($"{Settings.Witness.Name}=fanotify cannot be met: {e.Message}", true, false);
        }
    }

    /// <summary>
    /// Under another runtime the host sees other processes open the data (gVisor's file proxy opens files for the
    /// sandbox, as root): the attribution rules here were checked with runc only.
    /// </summary>
    private static void RequireCheckedRuntime(string? runtime)
    {
        if (runtime is { Length: > 0 } other && other != "runc")
        {
            throw new WitnessUnavailableException($"{Settings.Runtime.Name}={other}: the witness is only checked with runc (under another runtime, processes other than the code's open the data for it)");
        }
    }
}
