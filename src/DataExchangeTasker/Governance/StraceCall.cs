namespace DataExchangeTasker.Governance;

/// <summary>One completed system call from a strace line (unfinished/resumed halves already joined).</summary>
/// <param name="Name">Syscall name, e.g. <c>openat</c>.</param>
/// <param name="Arguments">Top-level arguments as strace printed them (strings still quoted).</param>
/// <param name="ReturnValue">The numeric return value; null when strace printed <c>?</c> or nothing.</param>
/// <param name="Errno">Errno name when the call failed, e.g. <c>ENOENT</c>.</param>
/// <param name="ReturnedPath">With <c>strace -y</c>: the path of a returned file descriptor (<c>= 3&lt;/tmp/x&gt;</c>).</param>
public sealed record StraceCall(string Name, IReadOnlyList<string> Arguments, long? ReturnValue, string? Errno, string? ReturnedPath)
{
    /// <summary>True when the call returned without an error.</summary>
    public bool Succeeded => Errno is null && ReturnValue is >= 0;
}
