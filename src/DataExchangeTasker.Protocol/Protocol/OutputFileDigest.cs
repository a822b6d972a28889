namespace DataExchangeTasker.Protocol;

/// <summary>One output file in a receipt.</summary>
/// <param name="Path">Relative to <c>/tmp/out</c> (and to the done message's <c>outputFolder</c>).</param>
/// <param name="Size">Bytes.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the file's bytes.</param>
public sealed record OutputFileDigest(string Path, long Size, string Sha256);
