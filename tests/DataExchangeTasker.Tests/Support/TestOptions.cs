using DataExchangeTasker.Configuration;

namespace DataExchangeTasker.Tests.Support;

/// <summary>Sandbox options for tests, with the documented defaults and caller-chosen roots.</summary>
public static class TestOptions
{
    /// <summary>Results and snapshots go beside <paramref name="workRoot"/> (<c>results</c>, <c>snapshots</c>).</summary>
    public static SandboxOptions Sandbox(string codeRoot, string dataRoot, string workRoot) => new(
        CodeRoot: codeRoot,
        DataRoot: dataRoot,
        WorkRoot: workRoot,
        Image: "dataexchange-tasker-runner:test",
        TaskTimeout: TimeSpan.FromSeconds(60),
        MemoryLimitBytes: 512L * 1024 * 1024,
        CpuLimit: 1.0,
        PidsLimit: 128,
        OutputLimitBytes: 1024 * 1024,
        StraceFilter: "%file,%network,%process",
        Runtime: null,
        User: "65534:65534",
        TmpfsSizeBytes: 64L * 1024 * 1024,
        FileSizeLimitBytes: 256L * 1024 * 1024,
        WorkSizeLimitBytes: 512L * 1024 * 1024,
        OpenFilesLimit: 256,
        KeepAlive: false,
        KeepAliveTimeout: TimeSpan.FromSeconds(1800),
        RequireCodeHash: false)
    {
        ResultsRoot = Path.Combine(Path.GetDirectoryName(workRoot.TrimEnd('/'))!, "results"),
        SnapshotRoot = Path.Combine(Path.GetDirectoryName(workRoot.TrimEnd('/'))!, "snapshots"),
    };
}
