using System.Text;
using DataExchangeTasker.Governance;

namespace DataExchangeTasker.Tests.Governance;

public sealed class TraceSummaryBuilderTests
{
    private static string Resource(string name) => Path.Combine(AppContext.BaseDirectory, "Governance", "Resources", name);

    [Theory]
    [InlineData("strace-probe.txt")]
    [InlineData("strace-probe-seccomp-bpf.txt")]
    public async Task SummarizeAsync_RealProbeTrace_ShowsExactlyWhatTheProbeDid(string file)
    {
        using var reader = new StreamReader(Resource(file));

        var summary = await TraceSummaryBuilder.SummarizeAsync(reader, CancellationToken.None);

        Assert.Equal(["/tmp/data/a.csv", "/tmp/data/b.csv"], summary.DataRead);
        Assert.Equal([new NetworkAttempt("connect", "AF_INET", "1.1.1.1", 53, "ENETUNREACH")], summary.NetworkAttempts);
        Assert.Equal(["/tmp/out/result.txt"], summary.FilesWritten);
        Assert.Contains(new ExecutedProgram("/usr/bin/python", "python"), summary.Processes);
        Assert.Contains(new ExecutedProgram("/bin/true", "/bin/true"), summary.Processes);
        Assert.Equal(1, summary.SyscallsDenied);
        Assert.False(summary.Capped);
    }

    [Fact]
    public async Task Append_RealTraceInOddChunks_SameSummaryAsLines()
    {
        var bytes = await File.ReadAllBytesAsync(Resource("strace-probe.txt"));
        using var reader = new StreamReader(Resource("strace-probe.txt"));
        var byLines = await TraceSummaryBuilder.SummarizeAsync(reader, CancellationToken.None);

        var builder = new TraceSummaryBuilder();
        for (var i = 0; i < bytes.Length; i += 7)
        {
            builder.Append(bytes.AsSpan(i, Math.Min(7, bytes.Length - i)));
        }

        var byChunks = builder.Build();
        Assert.Equal(byLines.DataRead, byChunks.DataRead);
        Assert.Equal(byLines.FilesWritten, byChunks.FilesWritten);
        Assert.Equal(byLines.NetworkAttempts, byChunks.NetworkAttempts);
        Assert.Equal(byLines.Processes, byChunks.Processes);
        Assert.Equal(byLines.SyscallsDenied, byChunks.SyscallsDenied);
    }

    [Fact]
    public void AddLine_UnfinishedAndResumedOpenat_JoinedPerPid()
    {
        var summary = Summarize(
            "12    openat(AT_FDCWD, \"/tmp/data/x.csv\", O_RDONLY|O_CLOEXEC <unfinished ...>",
            "13    openat(AT_FDCWD, \"/tmp/data/y.csv\", O_RDONLY <unfinished ...>",
            "12    <... openat resumed>)              = 3",
            "13    <... openat resumed>)              = -1 ENOENT (No such file or directory)");

        Assert.Equal(["/tmp/data/x.csv"], summary.DataRead);
    }

    [Fact]
    public void AddLine_StderrStylePidAndNoPid_Parsed()
    {
        var summary = Summarize(
            "openat(AT_FDCWD, \"/tmp/data/first.csv\", O_RDONLY) = 3",
            "[pid  4242] open(\"/tmp/data/second.csv\", O_RDONLY) = 4",
            "strace: Process 4242 attached",
            "[pid  4242] +++ exited with 0 +++",
            "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=11, si_uid=65534, si_status=0} ---");

        Assert.Equal(["/tmp/data/first.csv", "/tmp/data/second.csv"], summary.DataRead);
    }

    [Fact]
    public void AddLine_WritesAndReadWriteOpens_CountedAsWritten()
    {
        var summary = Summarize(
            "10    openat(AT_FDCWD, \"/tmp/data/rw.csv\", O_RDWR) = 3",
            "10    openat2(AT_FDCWD, \"/tmp/out/a\", {flags=O_WRONLY|O_CREAT, mode=0644, resolve=0}, 24) = 4",
            "10    creat(\"/tmp/out/b\", 0644) = 5",
            "10    openat(AT_FDCWD, \"/tmp/data/../code/run.py\", O_RDONLY) = 6",
            "10    openat2(AT_FDCWD, \"/tmp/data/z\", {flags=O_RDONLY|O_CLOEXEC, resolve=RESOLVE_NO_SYMLINKS}, 24) = 7");

        Assert.Equal(["/tmp/data/rw.csv", "/tmp/out/a", "/tmp/out/b"], summary.FilesWritten);
        Assert.Equal(["/tmp/data/z"], summary.DataRead);
    }

    [Fact]
    public void AddLine_StraceDashY_UsesTheKernelPathOfTheDescriptor()
    {
        var summary = Summarize("10    openat(3</tmp/data>, \"x.csv\", O_RDONLY|O_CLOEXEC) = 4</tmp/data/x.csv>");

        Assert.Equal(["/tmp/data/x.csv"], summary.DataRead);
    }

    [Fact]
    public void AddLine_NetworkFamilies_AddressesPortsAndResults()
    {
        var summary = Summarize(
            "10    connect(3, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \"2606:4700::1111\", &sin6_addr), sin6_scope_id=0}, 28) = -1 ENETUNREACH (Network is unreachable)",
            "10    connect(4, {sa_family=AF_UNIX, sun_path=\"/var/run/nscd/socket\"}, 110) = -1 ENOENT (No such file or directory)",
            "10    bind(5, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"0.0.0.0\")}, 16) = 0",
            "10    sendto(6, \"\\1\\2\", 2, 0, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr(\"8.8.8.8\")}, 16) = -1 EPERM (Operation not permitted)",
            "10    sendto(7, \"x\", 1, 0, NULL, 0) = 1");

        Assert.Equal(
            [
                new NetworkAttempt("connect", "AF_INET6", "2606:4700::1111", 443, "ENETUNREACH"),
                new NetworkAttempt("connect", "AF_UNIX", "/var/run/nscd/socket", null, "ENOENT"),
                new NetworkAttempt("bind", "AF_INET", "0.0.0.0", 8080, "ok"),
                new NetworkAttempt("sendto", "AF_INET", "8.8.8.8", 53, "EPERM"),
            ],
            summary.NetworkAttempts);
        Assert.Equal(1, summary.SyscallsDenied);
    }

    [Fact]
    public void AddLine_EscapedPath_DecodedAsUtf8()
    {
        var summary = Summarize("10    openat(AT_FDCWD, \"/tmp/data/caf\\303\\251 \\\"q\\\".csv\", O_RDONLY) = 3");

        Assert.Equal(["/tmp/data/café \"q\".csv"], summary.DataRead);
    }

    [Fact]
    public void AddLine_MoreThanTheCap_CappedAndBounded()
    {
        var builder = new TraceSummaryBuilder();
        for (var i = 0; i < TraceSummaryBuilder.MaxEntries + 50; i++)
        {
            builder.AddLine($"10    openat(AT_FDCWD, \"/tmp/data/f{i}\", O_RDONLY) = 3");
            builder.AddLine($"10    connect(3, {{sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr(\"1.1.1.{i % 250}\")}}, 16) = -1 ENETUNREACH (Network is unreachable)");
        }

        var summary = builder.Build();

        Assert.True(summary.Capped);
        Assert.Equal(TraceSummaryBuilder.MaxEntries, summary.DataRead.Count);
        Assert.Equal(TraceSummaryBuilder.MaxEntries, summary.NetworkAttempts.Count);
    }

    [Fact]
    public void Append_OverlongLine_SkippedAndNextLineParsed()
    {
        var builder = new TraceSummaryBuilder();
        builder.Append(Encoding.UTF8.GetBytes("10    openat(AT_FDCWD, \"/tmp/data/" + new string('a', TraceSummaryBuilder.MaxLineBytes) + "\", O_RDONLY) = 3\n"));
        builder.Append(Encoding.UTF8.GetBytes("10    openat(AT_FDCWD, \"/tmp/data/ok\", O_RDONLY) = 3"));

        Assert.Equal(["/tmp/data/ok"], builder.Build().DataRead);
    }

    [Fact]
    public void AddLine_FailedExecFromPathSearch_NotListed()
    {
        var summary = Summarize(
            "10    execve(\"/usr/local/bin/ls\", [\"ls\", \"/tmp\"], 0x7ffd /* 7 vars */) = -1 ENOENT (No such file or directory)",
            "10    execve(\"/usr/bin/ls\", [\"ls\", \"/tmp\"], 0x7ffd /* 7 vars */) = 0");

        Assert.Equal([new ExecutedProgram("/usr/bin/ls", "ls")], summary.Processes);
    }

    private static TraceSummary Summarize(params string[] lines)
    {
        var builder = new TraceSummaryBuilder();
        foreach (var line in lines)
        {
            builder.AddLine(line);
        }

        return builder.Build();
    }
}
