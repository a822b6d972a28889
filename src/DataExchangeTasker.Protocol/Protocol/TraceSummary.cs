using System.Text.Json.Serialization;

namespace DataExchangeTasker.Protocol;

/// <summary>
/// What a run did, distilled from its whole syscall trace by the tasker (also when the trace in the done message
/// was truncated): a reviewer reads this instead of thousands of lines. Each list holds at most
/// <c>TraceSummaryBuilder.MaxEntries</c> entries; <see cref="Capped"/> says when one overflowed.
/// </summary>
/// <param name="DataRead">
/// Distinct paths under <c>/tmp/data</c> the run opened successfully, whatever the flags (files and folders), or
/// executed; by the kernel's path of the opened descriptor when strace printed it. Sorted (ordinal).
/// </param>
/// <param name="FilesWritten">Distinct paths opened successfully for writing (or created), anywhere, in first-seen order.</param>
/// <param name="NetworkAttempts">Each connect/bind/accept/sendto/sendmsg/sendmmsg naming an address of a network family (not <c>AF_UNIX</c> or <c>AF_NETLINK</c>), in trace order.</param>
/// <param name="UnixSocketAttempts">
/// The same for <c>AF_UNIX</c> addresses (local sockets, e.g. glibc's probe of <c>/var/run/nscd/socket</c>), in
/// trace order. Absent (null) only in a done message from a tasker that predates the list; then it is left out of
/// the canonical bytes too, so such a message's receipt still verifies.
/// </param>
/// <param name="Processes">Distinct programs executed successfully, with their argv[0].</param>
/// <param name="SyscallsDenied">Calls that returned EPERM or EACCES.</param>
/// <param name="Capped">True when a list reached its cap and further entries were dropped.</param>
public sealed record TraceSummary(
    IReadOnlyList<string> DataRead,
    IReadOnlyList<string> FilesWritten,
    IReadOnlyList<SocketAttempt> NetworkAttempts,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<SocketAttempt> UnixSocketAttempts,
    IReadOnlyList<ExecutedProgram> Processes,
    long SyscallsDenied,
    bool Capped)
{
    /// <summary>
    /// What the second witness, outside the sandbox, saw the task open (<see cref="WitnessSummary"/>). Left out of
    /// the JSON when null, so a summary written before the witness existed hashes as it did.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public WitnessSummary? Witness { get; init; }

    /// <summary>
    /// Every distinct path of <see cref="DataRead"/> the whole trace showed, past the list's cap (up to
    /// <c>TraceSummaryBuilder.MaxComparedDataPaths</c>), for comparing with the witness. Internal: not part of the message (the worker sees it through InternalsVisibleTo).
    /// </summary>
    internal IReadOnlySet<string>? DataReadAll { get; init; }

    /// <summary>True when <see cref="DataReadAll"/> itself reached its cap. Not part of the message.</summary>
    internal bool DataReadAllCapped { get; init; }
}
