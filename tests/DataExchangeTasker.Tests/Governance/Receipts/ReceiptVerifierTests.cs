using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using DataExchangeTasker.Governance.Receipts;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Governance.Receipts;

public sealed class ReceiptVerifierTests : IDisposable
{
    private readonly ReceiptSigner _signer = ReceiptSigner.Generate();
    private readonly ReceiptPublicKey _key;
    private readonly TempDirectory _temp = new();

    public ReceiptVerifierTests() => _key = ReceiptPublicKey.Parse(_signer.PublicKeyBase64);

    public void Dispose()
    {
        _signer.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void Verify_SignedDoneMessage_Holds()
    {
        var outcome = ReceiptVerifier.Verify(ReceiptTestData.Json(ReceiptTestData.Done(ReceiptTestData.Receipt(), _signer)), _key);

        Assert.True(outcome.Ok, string.Join("; ", outcome.Failures));
        Assert.Contains("signature", outcome.Checked);
        Assert.Contains("stdout", outcome.Checked);
        Assert.Contains("strace", outcome.Checked);
        Assert.Contains("traceSummary", outcome.Checked);
    }

    [Fact]
    public void Verify_OneByteOfStdoutFlipped_FailsNamingStdout()
    {
        var json = ReceiptTestData.Node(ReceiptTestData.Done(ReceiptTestData.Receipt(), _signer));
        json["containerOutput"]!["stdout"] = ReceiptTestData.Stdout.Replace("4 people", "5 people", StringComparison.Ordinal);

        var outcome = Verify(json);

        Assert.False(outcome.Ok);
        Assert.Contains(outcome.Failures, f => f.StartsWith("stdout does not match", StringComparison.Ordinal));
    }

    [Fact]
    public void Verify_OneByteOfTheReceiptFlipped_SignatureFails()
    {
        var json = ReceiptTestData.Node(ReceiptTestData.Done(ReceiptTestData.Receipt(), _signer));
        json["receipt"]!["codeHash"] = "3" + new string('2', 63);

        var outcome = Verify(json);

        Assert.False(outcome.Ok);
        Assert.Contains(outcome.Failures, f => f.StartsWith("receiptSignature does not verify", StringComparison.Ordinal));
    }

    [Fact]
    public void Verify_EveryByteOfTheSignatureFlipped_Fails()
    {
        var done = ReceiptTestData.Done(ReceiptTestData.Receipt(), _signer);
        var signature = Convert.FromBase64String(done.ReceiptSignature!);
        for (var i = 0; i < signature.Length; i++)
        {
            var flipped = (byte[])signature.Clone();
            flipped[i] ^= 0x01;

            var outcome = ReceiptVerifier.Verify(ReceiptTestData.Json(done with { ReceiptSignature = Convert.ToBase64String(flipped) }), _key);

            Assert.False(outcome.Ok, $"byte {i}");
        }
    }

    [Fact]
    public void Verify_OtherNodesKey_Fails()
    {
        using var other = ReceiptSigner.Generate();
        var outcome = ReceiptVerifier.Verify(ReceiptTestData.Json(ReceiptTestData.Done(ReceiptTestData.Receipt(), _signer)), ReceiptPublicKey.Parse(other.PublicKeyBase64));

        Assert.False(outcome.Ok);
    }

    [Fact]
    public void Verify_StateChangedInTheMessage_Fails()
    {
        var json = ReceiptTestData.Node(ReceiptTestData.Done(ReceiptTestData.Receipt(), _signer));
        json["exitCode"] = 3;

        Assert.Contains(Verify(json).Failures, f => f.StartsWith("exitCode", StringComparison.Ordinal));
    }

    [Fact]
    public void Verify_FieldAddedToTheReceipt_Fails()
    {
        var json = ReceiptTestData.Node(ReceiptTestData.Done(ReceiptTestData.Receipt(), _signer));
        json["receipt"]!["approvedBy"] = "someone";

        Assert.False(Verify(json).Ok);
    }

    [Fact]
    public void Verify_TruncatedStdout_NotCheckedButStillOk()
    {
        var json = ReceiptTestData.Node(ReceiptTestData.Done(ReceiptTestData.Receipt(), _signer));
        json["containerOutput"]!["stdout"] = "Average";
        json["truncated"]!["stdout"] = true;

        var outcome = Verify(json);

        Assert.True(outcome.Ok, string.Join("; ", outcome.Failures));
        Assert.Contains(outcome.NotChecked, n => n.StartsWith("stdout (truncated", StringComparison.Ordinal));
    }

    [Fact]
    public void Verify_OutputFileChangedOnDisk_FailsNamingIt()
    {
        var bytes = Encoding.UTF8.GetBytes("mean,4\n");
        _temp.WriteBytes("out/result.csv", bytes);
        var files = new[] { new OutputFileDigest("result.csv", bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes))) };
        var json = ReceiptTestData.Node(ReceiptTestData.Done(ReceiptTestData.Receipt(files: files), _signer));
        json["outputFolder"] = _temp.Combine("out");
        Assert.True(Verify(json).Ok);

        _temp.WriteFile("out/result.csv", "mean,5\n");

        Assert.Contains(Verify(json).Failures, f => f.StartsWith("output file \"result.csv\"", StringComparison.Ordinal));
    }

    [Fact]
    public void CanonicalBytes_Receipt_AsciiCompactDeclarationOrder()
    {
        var bytes = ReceiptJson.CanonicalBytes(ReceiptTestData.Receipt("tâche <1>"));
        var text = Encoding.UTF8.GetString(bytes);

        Assert.StartsWith("{\"version\":2,\"taskId\":\"t\\u00E2che \\u003C1\\u003E\",\"taskerId\":\"node-1\",\"taskerVersion\":\"1.0.0\",", text, StringComparison.Ordinal);
        Assert.Contains("\"limits\":{\"timeoutSeconds\":60,\"memoryBytes\":268435456,\"cpus\":0.5,\"pids\":64}", text, StringComparison.Ordinal);
        Assert.Contains("\"startedAt\":\"2026-11-22T09:00:00.1+00:00\"", text, StringComparison.Ordinal);
        Assert.EndsWith($",\"outputFiles\":[],\"witness\":{{\"method\":\"fanotify\",\"sha256\":\"{ReceiptJson.Sha256Of(ReceiptTestData.Witness())}\"}}}}", text, StringComparison.Ordinal);
        Assert.All(bytes, b => Assert.True(b is >= 0x20 and < 0x7f));
    }

    [Fact]
    public void CanonicalBytes_VersionOneReceipt_HasNoWitnessMember()
    {
        var text = Encoding.UTF8.GetString(ReceiptJson.CanonicalBytes(ReceiptTestData.ReceiptV1()));

        Assert.StartsWith("{\"version\":1,", text, StringComparison.Ordinal);
        Assert.EndsWith(",\"outputFiles\":[]}", text, StringComparison.Ordinal);
        Assert.DoesNotContain("witness", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Sha256Of_SummaryWithoutWitness_HashesAsVersionOneDid()
    {
        // A version 1 node hashed the six members only; the witness member must not appear when there is none.
        var json = Encoding.UTF8.GetString(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(ReceiptTestData.SummaryV1(), ReceiptJsonContext.Default.TraceSummary));

        Assert.Equal("{\"dataRead\":[\"/tmp/data/people.csv\"],\"filesWritten\":[],\"networkAttempts\":[],\"unixSocketAttempts\":[],\"processes\":[{\"path\":\"/usr/bin/python\",\"argv0\":\"python\"}],\"syscallsDenied\":0,\"capped\":false}", json);
    }

    [Fact]
    public void Verify_VersionOneDoneMessage_StillHolds()
    {
        var outcome = ReceiptVerifier.Verify(ReceiptTestData.Json(ReceiptTestData.Done(ReceiptTestData.ReceiptV1(), _signer)), _key);

        Assert.True(outcome.Ok, string.Join("; ", outcome.Failures));
        Assert.Contains("traceSummary", outcome.Checked);
        Assert.DoesNotContain("witness", outcome.Checked);
    }

    [Fact]
    public void Verify_VersionTwoDoneMessage_ChecksTheWitness()
    {
        var outcome = ReceiptVerifier.Verify(ReceiptTestData.Json(ReceiptTestData.Done(ReceiptTestData.Receipt(), _signer)), _key);

        Assert.True(outcome.Ok, string.Join("; ", outcome.Failures));
        Assert.Contains("witness", outcome.Checked);
    }

    [Fact]
    public void Verify_WitnessListEdited_FailsNamingTheWitness()
    {
        var json = ReceiptTestData.Node(ReceiptTestData.Done(ReceiptTestData.Receipt(), _signer));
        json["traceSummary"]!["witness"]!["dataRead"] = new JsonArray();

        var outcome = Verify(json);

        Assert.False(outcome.Ok);
        Assert.Contains(outcome.Failures, f => f.StartsWith("traceSummary.witness does not match the receipt", StringComparison.Ordinal));
    }

    [Fact]
    public void Verify_VersionTwoReceiptWithoutWitness_Fails()
    {
        var receipt = ReceiptTestData.Receipt() with { Witness = null };

        var outcome = ReceiptVerifier.Verify(ReceiptTestData.Json(ReceiptTestData.Done(receipt, _signer)), _key);

        Assert.Contains("receipt version 2 records no witness", outcome.Failures);
    }

    [Fact]
    public void Verify_VersionOneReceiptClaimingAWitness_Fails()
    {
        var receipt = ReceiptTestData.ReceiptV1() with { Witness = ReceiptWitness.Of(ReceiptTestData.Witness()) };

        var outcome = ReceiptVerifier.Verify(ReceiptTestData.Json(ReceiptTestData.Done(receipt, _signer)), _key);

        Assert.Contains("a version 1 receipt has no witness, but this one records one", outcome.Failures);
    }

    [Fact]
    public void Verify_UnknownVersion_FailsNamingIt()
    {
        var receipt = ReceiptTestData.Receipt() with { Version = 3 };

        var outcome = ReceiptVerifier.Verify(ReceiptTestData.Json(ReceiptTestData.Done(receipt, _signer)), _key);

        Assert.Contains(outcome.Failures, f => f.StartsWith("receipt version 3 is unknown", StringComparison.Ordinal));
    }

    [Fact]
    public void Serialize_OffWitness_OnlyMethodAndWhy()
    {
        var json = System.Text.Json.JsonSerializer.Serialize(WitnessSummary.NotWatched("no CAP_SYS_ADMIN"), ReceiptJsonContext.Default.WitnessSummary);

        Assert.Equal("{\"method\":\"off\",\"why\":\"no CAP_SYS_ADMIN\"}", json);
    }


    [Fact]
    public void Read_ReceiptFromPublishedDoneMessage_SameCanonicalBytes()
    {
        var receipt = ReceiptTestData.Receipt("tâche \"1\" <&>");
        var node = ReceiptTestData.Node(ReceiptTestData.Done(receipt, _signer));

        var read = ReceiptJson.Read(System.Text.Json.JsonDocument.Parse(node["receipt"]!.ToJsonString()).RootElement);

        Assert.Equal(ReceiptJson.CanonicalBytes(receipt), ReceiptJson.CanonicalBytes(read));
    }

    [Fact]
    public void PublicKeyParse_PubFileOrBase64_Equivalent()
    {
        var file = _temp.WriteFile("node.key.pub", _signer.PublicKeyBase64 + "\n");
        var done = ReceiptTestData.Json(ReceiptTestData.Done(ReceiptTestData.Receipt(), _signer));

        Assert.True(ReceiptVerifier.Verify(done, ReceiptPublicKey.Parse(file)).Ok);
        Assert.Throws<InvalidDataException>(() => ReceiptPublicKey.Parse("not a key"));
    }

    [Fact]
    public void Load_KeygenPemFile_SignsVerifiably()
    {
        var file = _temp.WriteBytes("node.key", _signer.ExportPrivateKeyPem());

        using var loaded = ReceiptSigner.Load(file);

        Assert.Equal(_signer.PublicKeyBase64, loaded.PublicKeyBase64);
        Assert.True(_key.Verifies(ReceiptTestData.Receipt(), loaded.Sign(ReceiptTestData.Receipt())));
    }

    [Fact]
    public void Verify_SummaryFromATaskerBeforeUnixSocketAttempts_Holds()
    {
        // A node that predates unixSocketAttempts hashed and published its summary without that member.
        var oldSummary = (JsonObject)JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(ReceiptTestData.Summary(), ReceiptJsonContext.Default.TraceSummary))!;
        Assert.True(oldSummary.Remove("unixSocketAttempts"));
        var oldHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(oldSummary.ToJsonString())));
        var receipt = ReceiptTestData.Receipt() with { TraceSummarySha256 = oldHash };
        var json = ReceiptTestData.Node(ReceiptTestData.Done(receipt, _signer));
        json["traceSummary"] = oldSummary;

        var outcome = Verify(json);

        Assert.True(outcome.Ok, string.Join("; ", outcome.Failures));
        Assert.Contains("traceSummary", outcome.Checked);
    }

    [Fact]
    public void Verify_UnixSocketAttemptsRemovedFromACurrentMessage_FailsNamingTraceSummary()
    {
        var json = ReceiptTestData.Node(ReceiptTestData.Done(ReceiptTestData.Receipt(), _signer));
        Assert.True(json["traceSummary"]!.AsObject().Remove("unixSocketAttempts"));

        var outcome = Verify(json);

        Assert.False(outcome.Ok);
        Assert.Contains(outcome.Failures, f => f.StartsWith("traceSummary does not match", StringComparison.Ordinal));
    }

    private ReceiptVerification Verify(JsonObject json) => ReceiptVerifier.Verify(Encoding.UTF8.GetBytes(json.ToJsonString()), _key);
}
