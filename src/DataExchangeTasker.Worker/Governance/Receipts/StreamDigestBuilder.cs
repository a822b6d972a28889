using System.Security.Cryptography;
using System.Text;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Governance.Receipts;

/// <summary>
/// A <see cref="StreamDigest"/> computed while a stream goes by in chunks, in constant memory: SHA-256, byte count,
/// and UTF-8 validity (a sequence split across chunks is carried over, not flagged).
/// </summary>
internal sealed class StreamDigestBuilder : IDisposable
{
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly Decoder _decoder = new UTF8Encoding(false, throwOnInvalidBytes: true).GetDecoder();
    private readonly char[] _chars = new char[8192];
    private long _size;
    private bool _utf8 = true;

    /// <summary>Adds the next chunk.</summary>
    public void Append(ReadOnlySpan<byte> chunk)
    {
        _sha.AppendData(chunk);
        _size += chunk.Length;
        while (_utf8 && !chunk.IsEmpty)
        {
            var part = chunk[..Math.Min(chunk.Length, _chars.Length)];
            try
            {
                _decoder.Convert(part, _chars, flush: false, out var used, out _, out _);
                chunk = chunk[used..];
            }
            catch (DecoderFallbackException)
            {
                _utf8 = false;
            }
        }
    }

    /// <summary>The digest of everything appended; the builder cannot be used afterwards.</summary>
    public StreamDigest Build()
    {
        if (_utf8)
        {
            try
            {
                _decoder.Convert([], _chars, flush: true, out _, out _, out _);
            }
            catch (DecoderFallbackException)
            {
                _utf8 = false;
            }
        }

        return new StreamDigest(_size, Convert.ToHexStringLower(_sha.GetHashAndReset()), _utf8);
    }

    /// <inheritdoc />
    public void Dispose() => _sha.Dispose();
}
