using DataExchangeTasker.Protocol;
using NSec.Cryptography;

namespace DataExchangeTasker.Governance.Receipts;

/// <summary>A node's Ed25519 public key, for checking receipt signatures.</summary>
public sealed class ReceiptPublicKey
{
    private readonly PublicKey _key;

    private ReceiptPublicKey(PublicKey key) => _key = key;

    /// <summary>
    /// Reads a key given as base64 text (what <c>tasker keygen</c> prints) or as a file holding that text
    /// (<c>OUT.pub</c>) or a PEM public key.
    /// </summary>
    /// <exception cref="InvalidDataException">Neither form holds an Ed25519 public key.</exception>
    public static ReceiptPublicKey Parse(string keyOrPath)
    {
        var text = File.Exists(keyOrPath) ? File.ReadAllText(keyOrPath).Trim() : keyOrPath.Trim();
        if (text.StartsWith("-----BEGIN PUBLIC KEY-----", StringComparison.Ordinal)
            && PublicKey.TryImport(SignatureAlgorithm.Ed25519, System.Text.Encoding.ASCII.GetBytes(text), KeyBlobFormat.PkixPublicKeyText, out var pem)
            && pem is not null)
        {
            return new ReceiptPublicKey(pem);
        }

        var raw = new byte[64];
        if (Convert.TryFromBase64String(text, raw, out var length) && length == 32
            && PublicKey.TryImport(SignatureAlgorithm.Ed25519, raw.AsSpan(0, 32), KeyBlobFormat.RawPublicKey, out var key)
            && key is not null)
        {
            return new ReceiptPublicKey(key);
        }

        throw new InvalidDataException($"\"{Shorten(keyOrPath)}\" is neither an Ed25519 public key (base64 of 32 bytes, as tasker keygen prints) nor a file holding one.");
    }

    /// <summary>True when <paramref name="signatureBase64"/> is this key's signature over <paramref name="receipt"/>'s canonical bytes.</summary>
    public bool Verifies(RunReceipt receipt, string signatureBase64) => Verifies(ReceiptJson.CanonicalBytes(receipt), signatureBase64);

    /// <summary>True when <paramref name="signatureBase64"/> is this key's signature over <paramref name="bytes"/>.</summary>
    public bool Verifies(ReadOnlySpan<byte> bytes, string signatureBase64)
    {
        var signature = new byte[96];
        // Only the canonical base64 spelling: otherwise unused low bits of the last character could change unnoticed.
        return Convert.TryFromBase64String(signatureBase64, signature, out var length)
               && length == SignatureAlgorithm.Ed25519.SignatureSize
               && Convert.ToBase64String(signature, 0, length) == signatureBase64
               && SignatureAlgorithm.Ed25519.Verify(_key, bytes, signature.AsSpan(0, length));
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
