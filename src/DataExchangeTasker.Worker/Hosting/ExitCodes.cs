namespace DataExchangeTasker.Hosting;

/// <summary>Process exit codes, documented in the README.</summary>
public static class ExitCodes
{
    /// <summary>Success: clean shutdown, check passed, task succeeded.</summary>
    public const int Ok = 0;

    /// <summary>Failure: a task ended <c>error</c>, a check failed, or a fatal error stopped the worker.</summary>
    public const int Error = 1;

    /// <summary><c>tasker submit --wait</c>: the task was <c>rejected</c>.</summary>
    public const int Rejected = 2;

    /// <summary>The configuration or the arguments are invalid.</summary>
    public const int InvalidConfiguration = 3;

    /// <summary><c>tasker submit --wait</c>: no done message within <c>--timeout</c>.</summary>
    public const int Timeout = 4;
}
