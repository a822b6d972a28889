using System.Globalization;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Sandbox;

/// <summary>Turns a finished container into the done message that tells exactly what happened.</summary>
public static class ResultClassifier
{
    /// <summary>The done message for <paramref name="run"/> of the task <paramref name="taskId"/>.</summary>
    public static DoneMessage Classify(string taskId, EffectiveLimits limits, ContainerRun run)
    {
        var exit = run.ExitCode;
        var signal = SignalNames.FromExitCode(exit ?? 0);
        var (state, reason, output) = run switch
        {
            { TimedOut: true } => (TaskStates.Error, Reasons.Timeout,
                string.Create(CultureInfo.InvariantCulture, $"The task ran longer than its time limit of {limits.Timeout.TotalSeconds:0.#} s and was killed.")),
            { OomKilled: true } => (TaskStates.Error, Reasons.Oom,
                string.Create(CultureInfo.InvariantCulture, $"The task ran out of memory (limit {limits.MemoryBytes / (1024 * 1024)} MiB) and was killed.")),
            { ExitCode: 0 } => (TaskStates.Success, null, ""),
            _ when signal is not null => (TaskStates.Error, Reasons.Signal,
                string.Create(CultureInfo.InvariantCulture, $"Container exited with an error. The code was killed by {signal} (status code: {exit}).")),
            _ => (TaskStates.Error, Reasons.ExitCode,
                string.Create(CultureInfo.InvariantCulture, $"Container exited with an error. Status code: {exit}")),
        };

        return new DoneMessage(
            taskId,
            state,
            output,
            new ContainerOutput(run.Stdout.Text, run.Stderr.Text, run.Strace.Text),
            exit is null ? null : (int)exit.Value,
            reason,
            run.DurationMs)
        {
            Signal = run.TimedOut ? "SIGKILL" : run.OomKilled ? "SIGKILL" : signal,
            StartedAt = run.StartedAt,
            FinishedAt = run.FinishedAt,
            PeakMemoryBytes = run.PeakMemoryBytes,
            Truncated = new TruncatedStreams(run.Stdout.Truncated, run.Stderr.Truncated, run.Strace.Truncated),
        };
    }
}
