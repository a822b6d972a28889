// Usage: dotnet run -c Release --project bench/Governance [-- TASKS [AUDIT_DIR]]
// Measures, per task: receipt construction + trace summary hash + Ed25519 signature + audit line append with
// write(2) + fsync, on AUDIT_DIR (default /var/tmp, i.e. the disk, not a tmpfs). Prints p50/p95/mean in ms.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using DataExchangeTasker.Governance.Audit;
using DataExchangeTasker.Governance.Receipts;
using DataExchangeTasker.Governance.Trace;
using DataExchangeTasker.Protocol;

var tasks = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500;
var dir = args.Length > 1 ? args[1] : "/var/tmp";
var path = Path.Combine(dir, $"tasker-bench-audit-{Environment.ProcessId}.log");

// A realistic trace summary: a few data files, one network attempt, two processes.
var trace = string.Concat(Enumerable.Range(0, 40).Select(i => $"10    openat(AT_FDCWD, \"/tmp/data/f{i}.csv\", O_RDONLY|O_CLOEXEC) = 3\n"))
            + "10    connect(3, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr(\"1.1.1.1\")}, 16) = -1 ENETUNREACH (Network is unreachable)\n";
var builder = new TraceSummaryBuilder();
builder.Append(Encoding.UTF8.GetBytes(trace));
var summary = builder.Build();
var outputs = Enumerable.Range(0, 10).Select(i => new OutputFileDigest($"result-{i}.csv", 1000 + i, new string('a', 64))).ToList();

using var signer = ReceiptSigner.Generate();
var times = new List<double>(tasks);
using (var log = AuditLog.Open(path, signer, null))
{
    for (var i = 0; i < tasks + 20; i++)
    {
        var clock = Stopwatch.StartNew();
        var receipt = new RunReceipt(RunReceipt.CurrentVersion, $"task-{i}", "node-1", "1.0.0", new string('1', 64), new string('2', 64),
            "sha256:" + new string('3', 64), new DataFingerprint("/srv/data/x", 2049, 42, 41, new string('4', 64), null, false),
            new ReceiptLimits(60, 268435456, 0.5, 64), new string('5', 64), DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
            "success", null, 0, StreamDigest.Of("ok\n"), StreamDigest.Of(""), StreamDigest.Of(trace), ReceiptJson.Sha256Of(summary), outputs);
        var signature = signer.Sign(receipt);
        await log.AppendAsync(receipt.TaskId, receipt, signature, null, CancellationToken.None);
        if (i >= 20)
        {
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
    }
}

var verify = Stopwatch.StartNew();
var outcome = AuditLogVerifier.Verify([path], ReceiptPublicKey.Parse(signer.PublicKeyBase64));
var verifyMs = verify.Elapsed.TotalMilliseconds;
var size = new FileInfo(path).Length;
File.Delete(path);
times.Sort();
double P(double q) => times[(int)Math.Min(times.Count - 1, Math.Floor(q * times.Count))];
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{tasks} tasks, audit log on {dir}: receipt+sign+append+fsync per task p50 {P(0.5):F2} ms, p95 {P(0.95):F2} ms, mean {times.Average():F2} ms; " +
    $"line {size / (tasks + 20)} bytes; audit verify (chain + signatures) {verifyMs / (tasks + 20):F3} ms/line, ok={outcome.Ok}"));
