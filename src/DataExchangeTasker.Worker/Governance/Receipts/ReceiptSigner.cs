using DataExchangeTasker.Protocol;
using NSec.Cryptography;

namespace DataExchangeTasker.Governance.Receipts;

/// <summary>Signs receipts with the node's Ed25519 private key (<c>TASKER_SIGNING_KEY</c>).</summary>
public sealed class ReceiptSigner : IDisposable
{
    private readonly Key _key;

    private ReceiptSigner(Key key) => _key = key;

    /// <summary>The matching public key: base64 of its 32 raw bytes, as <c>tasker keygen</c> prints it.</summary>
    public string PublicKeyBase64 => Convert.ToBase64String(_key.PublicKey.Export(KeyBlobFormat.RawPublicKey));

    /// <summary>Loads a private key file written by <c>tasker keygen</c> (PKCS#8 PEM, <c>BEGIN PRIVATE KEY</c>).</summary>
    /// <exception cref="InvalidDataException">The file is not an Ed25519 private key.</exception>
    public static ReceiptSigner Load(string path)
    {
        var text = File.ReadAllBytes(path);
        return Key.TryImport(SignatureAlgorithm.Ed25519, text, KeyBlobFormat.PkixPrivateKeyText, out var key)
               && key is not null
            ? new ReceiptSigner(key)
            : throw new InvalidDataException($"\"{path}\" is not an Ed25519 private key (expected the PEM file tasker keygen writes).");
    }

    /// <summary>A new random key.</summary>
    public static ReceiptSigner Generate() =>
        new(Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>The private key as PKCS#8 PEM text.</summary>
    public byte[] ExportPrivateKeyPem() => _key.Export(KeyBlobFormat.PkixPrivateKeyText);

    /// <summary>The signature (base64) over the receipt's canonical bytes.</summary>
    public string Sign(RunReceipt receipt) => Sign(ReceiptJson.CanonicalBytes(receipt));

    /// <summary>The signature (base64) over <paramref name="bytes"/>.</summary>
    public string Sign(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(SignatureAlgorithm.Ed25519.Sign(_key, bytes));

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}
