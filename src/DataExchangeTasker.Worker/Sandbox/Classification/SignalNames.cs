namespace DataExchangeTasker.Sandbox.Classification;

/// <summary>Maps a shell-style exit status above 128 to the signal that caused it.</summary>
internal static class SignalNames
{
    private static readonly string[] Names =
    [
        "", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
        "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP",
        "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
    ];

    /// <summary>The signal name for statuses 129–159 (strace re-raises the code's fatal signal), else null.</summary>
    public static string? FromExitCode(long exitCode) =>
        exitCode is > 128 and < 160 && exitCode - 128 < Names.Length ? Names[exitCode - 128] : null;
}
