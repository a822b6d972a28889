using System.Security.Cryptography;
using System.Text.Json;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Governance.Receipts;

/// <summary>
/// Checks a done message's <c>receipt</c> against its <c>receiptSignature</c> and the node's public key, then every
/// hash it can recompute: stdout, stderr and the trace when the message carries them whole (not truncated, and
/// valid UTF-8 on the node), the trace summary, the output files under <c>outputFolder</c> when that folder is
/// readable here, and that the message's taskId, state, reason and exit code are the receipt's.
/// </summary>
public static class ReceiptVerifier
{
    /// <summary>Verifies the done message in <paramref name="doneJson"/>.</summary>
    public static ReceiptVerification Verify(ReadOnlySpan<byte> doneJson, ReceiptPublicKey publicKey)
    {
        var failures = new List<string>();
        var ok = new List<string>();
        var notChecked = new List<string>();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(doneJson.ToArray());
        }
        catch (JsonException e)
        {
            return new ReceiptVerification([$"the done message is not valid JSON ({e.Message})"], ok, notChecked);
        }

        using (document)
        {
            var done = document.RootElement;
            if (done.ValueKind != JsonValueKind.Object || !done.TryGetProperty("receipt", out var receiptElement) || receiptElement.ValueKind != JsonValueKind.Object)
            {
                return new ReceiptVerification(["the done message has no receipt"], ok, notChecked);
            }

            RunReceipt receipt;
            try
            {
                receipt = ReceiptJson.Read(receiptElement);
            }
            catch (JsonException e)
            {
                return new ReceiptVerification([$"receipt is not a version {RunReceipt.FirstVersion} or {RunReceipt.CurrentVersion} receipt ({e.Message})"], ok, notChecked);
            }

            if (receipt.Version is not (RunReceipt.FirstVersion or RunReceipt.CurrentVersion))
            {
                return new ReceiptVerification([$"receipt version {receipt.Version} is unknown (this tasker verifies versions {RunReceipt.FirstVersion} and {RunReceipt.CurrentVersion})"], ok, notChecked);
            }

            var signature = String(done, "receiptSignature");
            if (signature is null)
            {
                failures.Add("receiptSignature is missing");
            }
            else if (!publicKey.Verifies(receipt, signature))
            {
                failures.Add("receiptSignature does not verify: the receipt was changed, or was not signed by this key");
            }
            else
            {
                ok.Add("signature");
            }

            CompareField(done, "taskId", receipt.TaskId, failures, ok);
            CompareField(done, "state", receipt.State, failures, ok);
            CompareField(done, "reason", receipt.Reason, failures, ok);
            var exitCode = done.TryGetProperty("exitCode", out var code) && code.ValueKind == JsonValueKind.Number ? code.GetInt64() : (long?)null;
            Record(exitCode == receipt.ExitCode, "exitCode", $"exitCode {Show(exitCode)} differs from the receipt's {Show(receipt.ExitCode)}", failures, ok);

            CheckStreams(done, receipt, failures, ok, notChecked);
            CheckSummary(done, receipt, failures, ok, notChecked);
            CheckWitness(done, receipt, failures, ok, notChecked);
            CheckOutputFiles(done, receipt, failures, ok, notChecked);
        }

        return new ReceiptVerification(failures, ok, notChecked);
    }

    private static void CheckStreams(JsonElement done, RunReceipt receipt, List<string> failures, List<string> ok, List<string> notChecked)
    {
        if (!done.TryGetProperty("containerOutput", out var output) || output.ValueKind != JsonValueKind.Object)
        {
            notChecked.Add("stdout, stderr, strace (no containerOutput in the message)");
            return;
        }

        done.TryGetProperty("truncated", out var truncated);
        foreach (var (name, digest) in new[] { ("stdout", receipt.Stdout), ("stderr", receipt.Stderr), ("strace", receipt.Trace) })
        {
            var text = String(output, name);
            var cut = truncated.ValueKind == JsonValueKind.Object && truncated.TryGetProperty(name, out var t) && t.ValueKind == JsonValueKind.True;
            if (text is null)
            {
                notChecked.Add($"{name} (not in the message)");
            }
            else if (cut)
            {
                notChecked.Add($"{name} (truncated in the message; the receipt covers all {digest.Size} bytes)");
            }
            else if (!digest.Utf8)
            {
                notChecked.Add($"{name} (not valid UTF-8 on the node, so the message's text is not its bytes)");
            }
            else
            {
                var actual = StreamDigest.Of(text);
                Record(actual.Sha256 == digest.Sha256 && actual.Size == digest.Size, name,
                    $"{name} does not match the receipt: sha256 {actual.Sha256} ({actual.Size} bytes), receipt {digest.Sha256} ({digest.Size} bytes)", failures, ok);
            }
        }
    }

    private static void CheckSummary(JsonElement done, RunReceipt receipt, List<string> failures, List<string> ok, List<string> notChecked)
    {
        var hasSummary = done.TryGetProperty("traceSummary", out var element) && element.ValueKind == JsonValueKind.Object;
        if (receipt.TraceSummarySha256 is null)
        {
            if (hasSummary)
            {
                failures.Add("traceSummary is in the message but the receipt records none");
            }
            else
            {
                notChecked.Add("traceSummary (none recorded)");
            }

            return;
        }

        if (!hasSummary)
        {
            failures.Add("traceSummary is missing but the receipt records one");
            return;
        }

        try
        {
            var summary = element.Deserialize(ReceiptJsonContext.Default.TraceSummary)!;
            var actual = ReceiptJson.Sha256Of(summary);
            Record(actual == receipt.TraceSummarySha256, "traceSummary", $"traceSummary does not match the receipt (sha256 {actual}, receipt {receipt.TraceSummarySha256})", failures, ok);
        }
        catch (JsonException e)
        {
            failures.Add($"traceSummary is malformed ({e.Message})");
        }
    }

    /// <summary>
    /// Version 2 records the witness (method and hash of <c>traceSummary.witness</c>); version 1 has none, and a
    /// version 1 receipt claiming one was not made by a tasker.
    /// </summary>
    private static void CheckWitness(JsonElement done, RunReceipt receipt, List<string> failures, List<string> ok, List<string> notChecked)
    {
        if (receipt.Version == RunReceipt.FirstVersion)
        {
            if (receipt.Witness is not null)
            {
                failures.Add("a version 1 receipt has no witness, but this one records one");
            }

            return;
        }

        if (receipt.Witness is not { } recorded)
        {
            failures.Add($"receipt version {receipt.Version} records no witness");
            return;
        }

        if (!done.TryGetProperty("traceSummary", out var summary) || summary.ValueKind != JsonValueKind.Object
            || !summary.TryGetProperty("witness", out var element) || element.ValueKind != JsonValueKind.Object)
        {
            notChecked.Add($"witness (the receipt records method {recorded.Method}; the message has no traceSummary.witness)");
            return;
        }

        try
        {
            var witness = element.Deserialize(ReceiptJsonContext.Default.WitnessSummary)!;
            var actual = ReceiptWitness.Of(witness);
            Record(actual == recorded, "witness",
                $"traceSummary.witness does not match the receipt (method {actual.Method}, sha256 {actual.Sha256}; receipt {recorded.Method}, {recorded.Sha256})", failures, ok);
        }
        catch (JsonException e)
        {
            failures.Add($"traceSummary.witness is malformed ({e.Message})");
        }
    }

    private static void CheckOutputFiles(JsonElement done, RunReceipt receipt, List<string> failures, List<string> ok, List<string> notChecked)
    {
        if (done.TryGetProperty("outputFiles", out var listed) && listed.ValueKind == JsonValueKind.Array)
        {
            var inMessage = listed.EnumerateArray()
                .Select(f => $"{String(f, "path")}|{(f.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt64() : -1)}|{String(f, "sha256")}")
                .Order(StringComparer.Ordinal);
            var inReceipt = receipt.OutputFiles.Select(f => $"{f.Path}|{f.Size}|{f.Sha256}").Order(StringComparer.Ordinal);
            Record(inMessage.SequenceEqual(inReceipt), "outputFiles list", "outputFiles in the message differ from the receipt's", failures, ok);
        }

        if (receipt.OutputFiles.Count == 0)
        {
            return;
        }

        var folder = String(done, "outputFolder");
        if (folder is null || !Directory.Exists(folder))
        {
            notChecked.Add($"{receipt.OutputFiles.Count} output files (outputFolder {(folder is null ? "not given" : $"\"{folder}\" not readable here")})");
            return;
        }

        var root = Path.GetFullPath(folder).TrimEnd('/') + "/";
        var good = 0;
        foreach (var file in receipt.OutputFiles)
        {
            var full = Path.GetFullPath(Path.Combine(root, file.Path));
            if (Path.IsPathRooted(file.Path) || !full.StartsWith(root, StringComparison.Ordinal))
            {
                failures.Add($"output file \"{file.Path}\" lies outside outputFolder");
                continue;
            }

            try
            {
                using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                var sha = Convert.ToHexStringLower(SHA256.HashData(stream));
                if (stream.Length != file.Size || sha != file.Sha256)
                {
                    failures.Add($"output file \"{file.Path}\" does not match the receipt: {stream.Length} bytes, sha256 {sha}; receipt {file.Size} bytes, {file.Sha256}");
                }
                else
                {
                    good++;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                failures.Add($"output file \"{file.Path}\" cannot be read under outputFolder ({e.Message})");
            }
        }

        if (good > 0)
        {
            ok.Add($"{good} output files");
        }
    }

    private static void CompareField(JsonElement done, string name, string? expected, List<string> failures, List<string> ok)
    {
        var actual = String(done, name);
        Record(actual == expected, name, $"{name} {Show(actual)} differs from the receipt's {Show(expected)}", failures, ok);
    }

    private static void Record(bool holds, string what, string failure, List<string> failures, List<string> ok)
    {
        if (holds)
        {
            ok.Add(what);
        }
        else
        {
            failures.Add(failure);
        }
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string Show<T>(T? value) => value is null ? "null" : $"\"{value}\"";

}
