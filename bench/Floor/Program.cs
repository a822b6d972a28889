// The floor: the least any client of the Engine API can do per task. N × (create → start → read the supervisor's
// stdout until its "results ready" line → remove) at concurrency C, with the tasker's own DockerEngine, TaskPreparer
// (code snapshot) and ContainerSpecFactory, so image, Cmd, mounts and HostConfig limits are byte-for-byte what the
// tasker sends (the sealed spec: the container outlives the code, so "done" is the status line, not the exit). The
// spec's log driver is none (the supervisor's stdout is the tasker's results channel), so the line is read from an
// attach opened before the start, as the tasker reads it (until 2026-12 it was a followed log). No broker, no
// stats, no inspect, no reading of the results. Prints one JSON object on stdout.
//
// Usage: Floor --code-root DIR --data-root DIR --work-root DIR --code trivial --data d.txt
//              [--count 200] [--concurrency 4] [--warmup 2] [--timestamps]
//   --timestamps: after each ready line, inspect (untimed) to get the engine's startedAt, and report
//                 per-task overhead = (ready seen − create begun) − (ready seen − startedAt).
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Docker;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Sandbox.Run;
using DataExchangeTasker.Sandbox.Spec;

var opts = new Dictionary<string, string>();
var flags = new HashSet<string>();
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--timestamps") { flags.Add("timestamps"); continue; }
    opts[args[i].TrimStart('-')] = args[++i];
}
string Opt(string k, string? d = null) => opts.TryGetValue(k, out var v) ? v : d ?? throw new ArgumentException("--" + k + " is required");
var count = int.Parse(Opt("count", "200"));
var concurrency = int.Parse(Opt("concurrency", "4"));
var warmup = int.Parse(Opt("warmup", "2"));
var codeRoot = Path.GetFullPath(Opt("code-root"));
var dataRoot = Path.GetFullPath(Opt("data-root"));
var workRoot = Path.GetFullPath(Opt("work-root"));
var timestamps = flags.Contains("timestamps");

// The tasker's defaults (Settings.cs), as `tasker run` would resolve them with no overrides.
var sandbox = new SandboxOptions(codeRoot, dataRoot, workRoot, Opt("image", "dataexchange-tasker-runner:latest"),
    TimeSpan.FromSeconds(1800), 512L << 20, 1.0, 128, 1L << 20, "%file,%network,%process", null, "64000:64000",
    64L << 20, 256L << 20, 512L << 20, 256, false, TimeSpan.FromSeconds(1800), false)
{
    ResultsRoot = Path.Combine(workRoot, "results"),
    SnapshotRoot = Path.Combine(workRoot, "snapshots"),
};
const string taskerId = "bench-floor";
var specs = new ContainerSpecFactory(sandbox, taskerId);
var preparer = new TaskPreparer(sandbox);

await using var docker = new DockerEngine(DockerEndpoint.Parse(Environment.GetEnvironmentVariable("DOCKER_HOST") ?? DockerEndpoint.DefaultHost));
var runId = Guid.NewGuid().ToString("N")[..8];

var phases = new double[3]; // create, start, remove (ms, summed)
var overheads = new List<double>();
var exitLags = new List<double>(); // finishedAt (engine) → wait answered (us): the engine's teardown
var lock_ = new object();

async Task OneAsync(int n, bool record)
{
    var taskId = $"floor-{runId}-{n}";
    var (task, rejection) = await preparer.PrepareAsync(new StartMessage(taskId, Opt("code"), Opt("data")), CancellationToken.None);
    if (task is null) throw new InvalidOperationException(rejection!.Message);
    var key = ContainerLabels.TaskKey(taskerId, taskId);
    var request = specs.Create(task, null);
    var sw = Stopwatch.StartNew();
    var id = await docker.CreateContainerAsync(key, request, CancellationToken.None);
    var t1 = sw.Elapsed.TotalMilliseconds;
    await using var channel = await SupervisorChannel.OpenAsync(docker, id, CancellationToken.None);
    await docker.StartContainerAsync(id, CancellationToken.None);
    var t3 = sw.Elapsed.TotalMilliseconds;
    var ready = await channel.ReadyAsync(_ => { }, CancellationToken.None);
    var tExit = sw.Elapsed.TotalMilliseconds;
    var exitWall = DateTimeOffset.UtcNow;
    if (!ready) throw new InvalidOperationException("the supervisor never reported results");
    double? lifetime = null;
    if (timestamps)
    {
        var inspect = await docker.InspectContainerAsync(id, CancellationToken.None);
        var s = DateTimeOffset.Parse(inspect!.State!.StartedAt, CultureInfo.InvariantCulture);
        lifetime = (exitWall - s).TotalMilliseconds;
        lock (lock_) exitLags.Add(0);
    }
    var t4 = sw.Elapsed.TotalMilliseconds;
    await docker.RemoveContainerAsync(id, CancellationToken.None);
    var t5 = sw.Elapsed.TotalMilliseconds;
    if (!record) return;
    lock (lock_)
    {
        phases[0] += t1; phases[1] += t3 - t1; phases[2] += t5 - t4;
        if (lifetime is { } l) overheads.Add(tExit - l);
    }
}

async Task RunAsync(int total, bool record)
{
    var next = -1;
    var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
    {
        int n;
        while ((n = Interlocked.Increment(ref next)) < total) await OneAsync(record ? n : -1 - n, record);
    }));
    await Task.WhenAll(workers);
}

await RunAsync(warmup, false);
var clock = Stopwatch.StartNew();
await RunAsync(count, true);
var elapsed = clock.Elapsed.TotalSeconds;

overheads.Sort();
double Pct(List<double> xs, double p) => xs.Count == 0 ? double.NaN : xs[Math.Min(xs.Count - 1, (int)Math.Ceiling(p * xs.Count) - 1)];
var result = new Dictionary<string, object?>
{
    ["system"] = "floor",
    ["count"] = count,
    ["concurrency"] = concurrency,
    ["seconds"] = Math.Round(elapsed, 3),
    ["tasksPerSecond"] = Math.Round(count / elapsed, 3),
    ["meanCreateMs"] = Math.Round(phases[0] / count, 1),
    ["meanStartMs"] = Math.Round(phases[1] / count, 1),
    ["meanRemoveMs"] = Math.Round(phases[2] / count, 1),
};
if (timestamps)
{
    result["overheadP50Ms"] = Math.Round(Pct(overheads, 0.50), 1);
    result["overheadP95Ms"] = Math.Round(Pct(overheads, 0.95), 1);
    exitLags.Sort();
    result["finishedToWaitP50Ms"] = Math.Round(Pct(exitLags, 0.50), 1);
}
Console.WriteLine(JsonSerializer.Serialize(result));
