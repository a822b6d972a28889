namespace DataExchangeTasker.Governance.Trace;

/// <summary>One completed system call from a strace line (unfinished/resumed halves already joined).</summary>
/// <param name="Name">Syscall name, e.g. <c>openat</c>.</param>
/// <param name="Arguments">Top-level arguments as strace printed them (strings still quoted, descriptor paths still escaped).</param>
/// <param name="ReturnValue">The numeric return value; null when strace printed <c>?</c> or nothing.</param>
/// <param name="Errno">Errno name when the call failed, e.g. <c>ENOENT</c> (also for a refusal strace injected).</param>
/// <param name="ReturnedPath">
/// With <c>strace -y</c>: the kernel's path of the returned file descriptor (<c>= 3&lt;/tmp/x&gt;</c>), decoded;
/// null when strace printed none (no <c>-y</c>, not a descriptor, or <c>/proc/PID/fd</c> unreadable to strace).
/// </param>
internal sealed record StraceCall(string Name, IReadOnlyList<string> Arguments, long? ReturnValue, string? Errno, string? ReturnedPath)
{
    /// <summary>True when the call returned without an error.</summary>
    public bool Succeeded => Errno is null && ReturnValue is >= 0;

    /// <summary>The decoded path strace <c>-y</c> printed for the descriptor argument at <paramref name="index"/>, if any.</summary>
    public string? DescriptorPathAt(int index) => index < Arguments.Count ? StraceText.DescriptorPath(Arguments[index]) : null;

    /// <summary>The decoded string literal at <paramref name="index"/>, if any.</summary>
    public string? StringAt(int index) => index < Arguments.Count ? StraceText.FirstString(Arguments[index]) : null;
}
