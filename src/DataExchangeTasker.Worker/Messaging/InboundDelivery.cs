using System.Security.Cryptography;

namespace DataExchangeTasker.Messaging;

/// <summary>
/// A start message copied out of the consumer callback (the client reuses the body's memory afterwards),
/// with what is needed to answer it and to settle it with the broker.
/// </summary>
internal sealed record InboundDelivery(
    byte[] Body,
    bool Redelivered,
    string? ReplyTo,
    string? CorrelationId,
    string? TraceParent,
    string? ContentType,
    IDeliverySettlement Settlement)
{
    private byte[] _body = Body;
    private string? _bodySha256;

    /// <summary>The body exactly as received.</summary>
    public byte[] Body
    {
        get => _body;
        init
        {
            // A copy made with another body must not keep this body's hash.
            _body = value;
            _bodySha256 = null;
        }
    }

    /// <summary>The original headers, kept for dead-lettering.</summary>
    public IReadOnlyDictionary<string, object?>? Headers { get; init; }

    /// <summary>
    /// SHA-256 of <see cref="Body"/> exactly as received, lower-case hex: what the answer ledger recognises a redelivery
    /// by and what the run receipt names. Computed once (the body never changes).
    /// </summary>
    public string BodySha256 => _bodySha256 ??= Convert.ToHexStringLower(SHA256.HashData(Body));
}
