namespace DataExchangeTasker.Protocol;

/// <summary>One regular file the code left in <c>/tmp/out</c>, as stored in the done message's <c>outputFolder</c>.</summary>
/// <param name="Path">'/'-separated path relative to <c>/tmp/out</c> (and to <c>outputFolder</c>).</param>
/// <param name="Size">Bytes stored.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the stored bytes.</param>
public sealed record OutputFile(string Path, long Size, string Sha256);
