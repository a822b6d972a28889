using System.Globalization;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Sandbox.Run;
using DataExchangeTasker.Witness;

namespace DataExchangeTasker.Sandbox.Classification;

/// <summary>
/// Turns a finished run into the done message that tells exactly what happened. The code's exit status comes from
/// the supervisor's manifest (not the container's, which outlives the code); a run whose trace is not complete can
/// never be a success.
/// </summary>
internal static class ResultClassifier
{
    /// <summary>The done message for <paramref name="run"/> of the task <paramref name="taskId"/>.</summary>
    public static DoneMessage Classify(string taskId, EffectiveLimits limits, ContainerRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var manifest = run.Results?.Manifest;
        if (manifest is { PathChanged: true })
        {
            // Nothing ran: the supervisor refused before the code started.
            return DoneMessage.Rejected(taskId, Reasons.PathChanged,
                "The data at dataPath changed between the check and the mount (a path component was replaced, e.g. by a symbolic link); the code did not run.");
        }

        var exit = manifest?.Status;
        var signal = SignalNames.FromExitCode(exit ?? 0);
        var oom = run.OomKilled || manifest is { OomKilled: true };
        var (state, reason, output) = (run, manifest) switch
        {
            ({ TimedOut: true }, _) or (_, { TimedOut: true }) => (TaskStates.Error, Reasons.Timeout,
                string.Create(CultureInfo.InvariantCulture, $"The task ran longer than its time limit of {limits.Timeout.TotalSeconds:0.#} s and was killed.")),
            _ when oom => (TaskStates.Error, Reasons.Oom,
                string.Create(CultureInfo.InvariantCulture, $"The task ran out of memory (limit {limits.MemoryBytes / (1024 * 1024)} MiB) and was killed.")),
            (_, null) => (TaskStates.Error, Reasons.TraceIncomplete,
                "The run's results and trace could not be collected" + (run.Missing is null ? "." : ": " + run.Missing)),
            (_, { TraceComplete: false }) => (TaskStates.Error, Reasons.TraceIncomplete,
                manifest switch
                {
                    { Survivors: true } => "The syscall trace is incomplete: a process of the code outlived its tracer, so part of the run was not traced.",
                    { Misreported: true } => "The syscall trace is unreliable: the runtime (gVisor) reported traced calls that succeeded as failed (ENOSYS), which it does after a seccomp filter refused one of the code's calls, so the trace misstates what the code opened.",
                    _ => "The syscall trace is incomplete: it does not show the interpreter's start and the code's end (the tracer ended early, or recorded nothing), so part of the run was not traced.",
                }),
            _ when run.OutputsUnstored is { } unstored => (TaskStates.Error, Reasons.ResultsUnwritable,
                "The code ran, but its output files could not be stored: " + unstored),
            (_, { Status: 0 }) => (TaskStates.Success, null, ""),
            _ when signal is not null => (TaskStates.Error, Reasons.Signal,
                string.Create(CultureInfo.InvariantCulture, $"Container exited with an error. The code was killed by {signal} (status code: {exit}).")),
            _ => (TaskStates.Error, Reasons.ExitCode,
                string.Create(CultureInfo.InvariantCulture, $"Container exited with an error. Status code: {exit}")),
        };

        var results = run.Results;
        var summary = results?.TraceSummary is { } traced ? traced with { Witness = run.Witness ?? WitnessSummary.NotWatched("no witness was asked for this run") } : null;
        if (summary is not null && WitnessVerdict.Disagreement(summary) is { } disagreement)
        {
            // What the code produced is still delivered; only the verdict changes (and an earlier failure keeps its reason).
            (state, reason, output) = reason is null or Reasons.ExitCode or Reasons.Signal
                ? (TaskStates.Error, Reasons.TraceIncomplete, output.Length == 0 ? disagreement : disagreement + " " + output)
                : (state, reason, output + " " + disagreement);
        }

        var timedOut = run.TimedOut || manifest is { TimedOut: true };
        return new DoneMessage(
            taskId,
            state,
            output,
            results is null ? null : new ContainerOutput(results.Stdout.Text.Text, results.Stderr.Text.Text, results.Strace.Text.Text),
            exit,
            reason,
            run.DurationMs)
        {
            Signal = timedOut || oom ? "SIGKILL" : signal,
            StartedAt = run.StartedAt,
            FinishedAt = run.FinishedAt,
            PeakMemoryBytes = run.PeakMemoryBytes,
            Truncated = new TruncatedStreams(
                results?.Stdout.Text.Truncated ?? false, results?.Stderr.Text.Truncated ?? false, results?.Strace.Text.Truncated ?? false)
            {
                Files = run.Outputs?.Truncated ?? false,
            },
            OutputFolder = run.OutputFolder,
            OutputFiles = run.Outputs?.Files ?? (results is null ? null : []),
            RefusedOutputs = run.Outputs?.Refused ?? (results is null ? null : RefusedOutputs.None),
            TraceSummary = summary,
        };
    }
}
