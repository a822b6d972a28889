namespace DataExchangeTasker.Docker;

/// <summary>How a process run with <see cref="IDockerEngine.RunExecAsync"/> ended.</summary>
/// <param name="ExitCode">Its exit status; null when the engine did not report one.</param>
/// <param name="Stderr">The start of what it wrote to stderr (at most <see cref="StderrLimitBytes"/>), for error messages.</param>
public sealed record ExecResult(long? ExitCode, string Stderr)
{
    /// <summary>Bytes of stderr kept.</summary>
    public const int StderrLimitBytes = 4096;
}
