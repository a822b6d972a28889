namespace DataExchangeTasker.Protocol;

/// <summary>One socket call that named an address (connect, bind, accept, sendto, sendmsg, sendmmsg), as strace decoded it.</summary>
/// <param name="Syscall">E.g. <c>connect</c>, <c>bind</c>, <c>sendto</c>.</param>
/// <param name="Family">Address family as strace names it, e.g. <c>AF_INET</c>, <c>AF_INET6</c>, <c>AF_UNIX</c>.</param>
/// <param name="Address">IP address, or the socket path for <c>AF_UNIX</c> (<c>@name</c> for an abstract socket); null when strace showed none.</param>
/// <param name="Port">Port for IP families; null otherwise.</param>
/// <param name="Result"><c>ok</c>, the errno name (e.g. <c>ENETUNREACH</c>), or <c>unknown</c>.</param>
public sealed record SocketAttempt(string Syscall, string Family, string? Address, int? Port, string Result);
