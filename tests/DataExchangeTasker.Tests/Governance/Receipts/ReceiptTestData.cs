using System.Text.Json;
using System.Text.Json.Nodes;
using DataExchangeTasker.Governance.Receipts;
using DataExchangeTasker.Governance.Trace;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Tests.Governance.Receipts;

/// <summary>A signed done message as the tasker would publish it, for verifier tests.</summary>
internal static class ReceiptTestData
{
    public const string Stdout = "Average fortune: 100350000000.0 of 4 people\n";
    public const string Stderr = "";
    public const string Trace = "10    execve(\"/usr/bin/python\", [\"python\", \"/tmp/code/run.py\"], 0x7ffc /* 7 vars */) = 0\n"
                                + "10    openat(AT_FDCWD, \"/tmp/data/people.csv\", O_RDONLY|O_CLOEXEC) = 3\n";

    /// <summary>What the witness saw: the file the trace shows.</summary>
    public static WitnessSummary Witness() => new(WitnessSummary.Fanotify)
    {
        DataRead = ["/tmp/data/people.csv"],
        Capped = false,
        Unattributed = 0,
        RuntimeOpens = 0,
        EventsLost = false,
        StandsIn = false,
    };

    /// <summary>The trace's summary, with the witness (as a version 2 node publishes it).</summary>
    public static TraceSummary Summary() => SummaryV1() with { Witness = Witness() };

    /// <summary>The trace's summary as a version 1 node published it: no witness member.</summary>
    public static TraceSummary SummaryV1()
    {
        var builder = new TraceSummaryBuilder();
        builder.Append(System.Text.Encoding.UTF8.GetBytes(Trace));
        return builder.Build();
    }

    /// <summary>A version 2 receipt (the current one).</summary>
    public static RunReceipt Receipt(string taskId = "t-1", IReadOnlyList<OutputFileDigest>? files = null) =>
        ReceiptV1(taskId, files) with
        {
            Version = RunReceipt.CurrentVersion,
            TraceSummarySha256 = ReceiptJson.Sha256Of(Summary()),
            Witness = ReceiptWitness.Of(Witness()),
        };

    /// <summary>A version 1 receipt, as a tasker before the witness signed it.</summary>
    public static RunReceipt ReceiptV1(string taskId = "t-1", IReadOnlyList<OutputFileDigest>? files = null) => new(
        RunReceipt.FirstVersion,
        taskId,
        "node-1",
        "1.0.0",
        new string('1', 64),
        new string('2', 64),
        "sha256:" + new string('3', 64),
        new DataFingerprint("/srv/data/demo1_data", 2049, 1234567, 2, new string('4', 64), null, false),
        new ReceiptLimits(60, 268435456, 0.5, 64),
        new string('5', 64),
        DateTimeOffset.Parse("2026-11-22T09:00:00.1+00:00", System.Globalization.CultureInfo.InvariantCulture),
        DateTimeOffset.Parse("2026-11-22T09:00:01.3+00:00", System.Globalization.CultureInfo.InvariantCulture),
        TaskStates.Success,
        null,
        0,
        StreamDigest.Of(Stdout),
        StreamDigest.Of(Stderr),
        StreamDigest.Of(Trace),
        ReceiptJson.Sha256Of(SummaryV1()),
        files ?? []);

    public static DoneMessage Done(RunReceipt receipt, ReceiptSigner signer) =>
        new DoneMessage(receipt.TaskId, TaskStates.Success, "", new ContainerOutput(Stdout, Stderr, Trace), 0, null, 1200)
        {
            StartedAt = receipt.StartedAt,
            FinishedAt = receipt.FinishedAt,
            Truncated = TruncatedStreams.None,
            TraceSummary = receipt.Version == RunReceipt.FirstVersion ? SummaryV1() : Summary(),
            Receipt = receipt,
            ReceiptSignature = signer.Sign(receipt),
        };

    public static byte[] Json(DoneMessage done) => JsonSerializer.SerializeToUtf8Bytes(done, ProtocolJson.Done);

    public static JsonObject Node(DoneMessage done) => (JsonObject)JsonNode.Parse(Json(done))!;
}
