namespace DataExchangeTasker.Protocol;

/// <summary>One entry of the code's <c>/tmp/out</c> that was not stored, and why.</summary>
/// <param name="Path">
/// The entry's path relative to <c>/tmp/out</c> as the container saw it (<see cref="EscapedPath"/>: bytes that are not
/// UTF-8 as <c>\xHH</c>, a backslash as <c>\\</c>; longer than 1024 characters: its start and end around <c>…</c>).
/// </param>
/// <param name="Reason">One of <see cref="RefusalReasons"/>.</param>
public sealed record RefusedOutput(string Path, string Reason);
