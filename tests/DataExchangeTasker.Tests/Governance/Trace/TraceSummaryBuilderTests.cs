using System.Text;
using DataExchangeTasker.Governance.Trace;
using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Tests.Governance.Trace;

/// <summary>
/// The summary a reviewer reads. Lines quoted here are real strace 6.1 output from the runner image (the files in
/// Resources say how each was recorded); the few that are not say so.
/// </summary>
public sealed class TraceSummaryBuilderTests
{
    private static string Resource(string name) => Path.Combine(AppContext.BaseDirectory, "Governance", "Resources", name);

    // ---- whole real traces ----------------------------------------------------------------------

    [Theory]
    [InlineData("strace-probe.txt")]
    [InlineData("strace-probe-seccomp-bpf.txt")]
    public async Task SummarizeAsync_RealProbeTrace_ShowsExactlyWhatTheProbeDid(string file)
    {
        using var reader = new StreamReader(Resource(file));

        var summary = await TraceSummaryBuilder.SummarizeAsync(reader, CancellationToken.None);

        Assert.Equal(["/tmp/data/a.csv", "/tmp/data/b.csv"], summary.DataRead);
        Assert.Equal([new SocketAttempt("connect", "AF_INET", "1.1.1.1", 53, "ENETUNREACH")], summary.NetworkAttempts);
        Assert.Empty(summary.UnixSocketAttempts);
        Assert.Equal(["/tmp/out/result.txt"], summary.FilesWritten);
        Assert.Contains(new ExecutedProgram("/usr/bin/python", "python"), summary.Processes);
        Assert.Contains(new ExecutedProgram("/bin/true", "/bin/true"), summary.Processes);
        Assert.Equal(1, summary.SyscallsDenied);
        Assert.False(summary.Capped);
    }

    [Fact]
    public async Task SummarizeAsync_DashYProbeTrace_ListsEveryDataFileTheKernelOpened()
    {
        using var reader = new StreamReader(Resource("strace-dash-y.txt"));

        var summary = await TraceSummaryBuilder.SummarizeAsync(reader, CancellationToken.None);

        // Every technique of strace-dash-y-probe.py, sorted; n.csv (EACCES) and h.csv (open_by_handle_at refused)
        // were never opened, and the decoys under /tmp are not data.
        Assert.Equal(
            [
                "/tmp/data", "/tmp/data/a.csv", "/tmp/data/b.csv", "/tmp/data/bad\uFFFD\uFFFD.csv", "/tmp/data/c.csv",
                "/tmp/data/café.csv", "/tmp/data/d.csv", "/tmp/data/e.csv", "/tmp/data/f.csv", "/tmp/data/g.csv",
                "/tmp/data/gt>name.csv", "/tmp/data/i.csv", "/tmp/data/lt<name.csv", "/tmp/data/m.csv", "/tmp/data/prog",
                "/tmp/data/quote\"s.csv", "/tmp/data/script.sh", "/tmp/data/sub", "/tmp/data/with space.csv",
            ],
            summary.DataRead);
        Assert.False(summary.Capped);
    }

    [Fact]
    public async Task SummarizeAsync_TraceWithoutDescriptorPaths_FallsBackToThePathsAsWritten()
    {
        // The same probe under the capabilities the container has today: strace can read each process's working
        // folder (AT_FDCWD</tmp>) but not /proc/PID/fd, so returned descriptors carry no path.
        using var reader = new StreamReader(Resource("strace-dash-y-without-dac.txt"));

        var summary = await TraceSummaryBuilder.SummarizeAsync(reader, CancellationToken.None);

        // Missed without descriptor paths (README "Reviewing a run"): b.csv (/proc/self/fd/3/...), c.csv (a symlink
        // in /tmp), d.csv and g.csv (relative to a directory descriptor).
        Assert.Equal(
            [
                "/tmp/data", "/tmp/data/a.csv", "/tmp/data/bad\uFFFD\uFFFD.csv", "/tmp/data/café.csv", "/tmp/data/e.csv",
                "/tmp/data/f.csv", "/tmp/data/gt>name.csv", "/tmp/data/i.csv", "/tmp/data/lt<name.csv", "/tmp/data/m.csv",
                "/tmp/data/prog", "/tmp/data/quote\"s.csv", "/tmp/data/script.sh", "/tmp/data/sub", "/tmp/data/with space.csv",
            ],
            summary.DataRead);
    }

    [Fact]
    public async Task SummarizeAsync_DashYHostileTrace_ListsTheDataReadsAndRealDestinations()
    {
        using var reader = new StreamReader(Resource("strace-dash-y-hostile.txt"));

        var summary = await TraceSummaryBuilder.SummarizeAsync(reader, CancellationToken.None);

        Assert.Equal(["/tmp/data/a.csv", "/tmp/data/k.csv"], summary.DataRead);
        Assert.Equal(
            [
                new SocketAttempt("sendto", "AF_INET", "1.1.1.1", 53, "ENETUNREACH"),
                new SocketAttempt("sendmsg", "AF_INET", "9.9.9.9", 53, "ENETUNREACH"),
                new SocketAttempt("sendmmsg", "AF_INET", "8.8.4.4", 123, "ENETUNREACH"),
                new SocketAttempt("connect", "AF_INET", "10.255.255.53", 53, "ENETUNREACH"),
                new SocketAttempt("connect", "AF_INET", "10.255.255.53", 53, "ENETUNREACH"),
            ],
            summary.NetworkAttempts);
        Assert.Equal(
            [
                new SocketAttempt("connect", "AF_UNIX", "/var/run/nscd/socket", null, "ENOENT"),
                new SocketAttempt("connect", "AF_UNIX", "/var/run/nscd/socket", null, "ENOENT"),
                new SocketAttempt("connect", "AF_UNIX", "/var/run/nscd/socket", null, "ENOENT"),
                new SocketAttempt("connect", "AF_UNIX", "/var/run/nscd/socket", null, "ENOENT"),
                new SocketAttempt("connect", "AF_UNIX", "@abstract-name", null, "ECONNREFUSED"),
                new SocketAttempt("bind", "AF_UNIX", "/tmp/listening.sock", null, "ok"),
                new SocketAttempt("connect", "AF_UNIX", "/tmp/listening.sock", null, "ok"),
                new SocketAttempt("connect", "AF_UNIX", "/var/run/nscd/socket", null, "ENOENT"),
                new SocketAttempt("connect", "AF_UNIX", "/var/run/nscd/socket", null, "ENOENT"),
            ],
            summary.UnixSocketAttempts);
    }

    [Fact]
    public async Task Append_RealTraceInOddChunks_SameSummaryAsLines()
    {
        var bytes = await File.ReadAllBytesAsync(Resource("strace-dash-y.txt"));
        using var reader = new StreamReader(Resource("strace-dash-y.txt"));
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
        Assert.Equal(byLines.UnixSocketAttempts, byChunks.UnixSocketAttempts);
        Assert.Equal(byLines.Processes, byChunks.Processes);
        Assert.Equal(byLines.SyscallsDenied, byChunks.SyscallsDenied);
    }

    // ---- issue 19 row 4: every way of naming a data file lands on /tmp/data/... (strace -y) -------------

    [Fact]
    public void AddLine_OpenByProcSelfRoot_ListsTheDataFile()
    {
        var summary = Summarize("""11    openat(AT_FDCWD</tmp>, "/proc/self/root/tmp/data/a.csv", O_RDONLY|O_CLOEXEC) = 3</tmp/data/a.csv>""");

        Assert.Equal(["/tmp/data/a.csv"], summary.DataRead);
    }

    [Fact]
    public void AddLine_OpenByProcSelfFdOfADirectoryDescriptor_ListsTheDataFile()
    {
        var summary = Summarize("""11    openat(AT_FDCWD</tmp>, "/proc/self/fd/3/b.csv", O_RDONLY|O_CLOEXEC) = 4</tmp/data/b.csv>""");

        Assert.Equal(["/tmp/data/b.csv"], summary.DataRead);
    }

    [Fact]
    public void AddLine_OpenThroughASymlinkInTmp_ListsTheDataFile()
    {
        var summary = Summarize(
            """11    symlink("/tmp/data/c.csv", "/tmp/link-to-c") = 0""",
            """11    openat(AT_FDCWD</tmp>, "/tmp/link-to-c", O_RDONLY|O_CLOEXEC) = 4</tmp/data/c.csv>""");

        Assert.Equal(["/tmp/data/c.csv"], summary.DataRead);
    }

    [Fact]
    public void AddLine_OpenRelativeToADirectoryDescriptor_ListsTheDataFile()
    {
        var summary = Summarize("""11    openat(3</tmp/data>, "d.csv", O_RDONLY|O_CLOEXEC) = 4</tmp/data/d.csv>""");

        Assert.Equal(["/tmp/data/d.csv"], summary.DataRead);
    }

    [Fact]
    public void AddLine_RelativeNameAfterChdir_ListsTheDataFile()
    {
        var summary = Summarize(
            """11    chdir("/tmp/data")                = 0""",
            """11    openat(AT_FDCWD</tmp/data>, "e.csv", O_RDONLY|O_CLOEXEC) = 4</tmp/data/e.csv>""");

        Assert.Equal(["/tmp/data/e.csv"], summary.DataRead);
    }

    [Fact]
    public void AddLine_ReadOnlyCreateOfAnExistingDataFile_ListedAsRead()
    {
        var summary = Summarize("""11    openat(AT_FDCWD</tmp>, "/tmp/data/f.csv", O_RDONLY|O_CREAT|O_CLOEXEC, 0644) = 4</tmp/data/f.csv>""");

        Assert.Equal(["/tmp/data/f.csv"], summary.DataRead);
        Assert.Equal(["/tmp/data/f.csv"], summary.FilesWritten);
    }

    [Fact]
    public void AddLine_AppendOpenOfADataFile_ListedAsRead()
    {
        var summary = Summarize("""11    openat(AT_FDCWD</tmp>, "/tmp/data/m.csv", O_RDONLY|O_APPEND|O_CLOEXEC) = 4</tmp/data/m.csv>""");

        Assert.Equal(["/tmp/data/m.csv"], summary.DataRead);
    }

    [Fact]
    public void AddLine_Openat2RelativeToADirectoryDescriptor_ListsTheDataFile()
    {
        var summary = Summarize("""11    openat2(3</tmp/data>, "g.csv", {flags=O_RDONLY, resolve=0}, 24) = 4</tmp/data/g.csv>""");

        Assert.Equal(["/tmp/data/g.csv"], summary.DataRead);
    }

    [Fact]
    public void AddLine_I386IntOpen_ListsTheDataFile()
    {
        // int 0x80 with eax=5 from a 64-bit process: strace decodes it with the i386 table (open, not openat).
        var summary = Summarize("""11    open("/tmp/data/i.csv", O_RDONLY) = 4</tmp/data/i.csv>""");

        Assert.Equal(["/tmp/data/i.csv"], summary.DataRead);
    }

    [Fact]
    public void AddLine_ExecveOfADataProgram_ListsIt()
    {
        var summary = Summarize(
            """12    execve("/tmp/data/prog", ["/tmp/data/prog"], 0x7ffeb4cab588 /* 9 vars */ <unfinished ...>""",
            """11    <... vfork resumed>)              = 12""",
            """12    <... execve resumed>)             = 0""");

        Assert.Equal(["/tmp/data/prog"], summary.DataRead);
        Assert.Equal([new ExecutedProgram("/tmp/data/prog", "/tmp/data/prog")], summary.Processes);
    }

    [Fact]
    public void AddLine_ExecveatOfADataDescriptor_ListsIt()
    {
        var summary = Summarize("""14    execveat(4</tmp/data/prog>, "", ["prog"], 0x7f62164746a0 /* 0 vars */, AT_EMPTY_PATH) = 0""");

        Assert.Equal(["/tmp/data/prog"], summary.DataRead);
    }

    [Fact]
    public void AddLine_AnyCallReturningADataDescriptor_ListsIt()
    {
        // Not reachable in the sandbox (open_by_handle_at needs CAP_DAC_READ_SEARCH; the code got EPERM), so this
        // line is written in strace's format rather than recorded.
        var summary = Summarize("11    open_by_handle_at(3</tmp/data>, {handle_bytes=8, handle_type=1, f_handle=0x1a2b3c4d5e6f7a8b}, O_RDONLY) = 4</tmp/data/h.csv>");

        Assert.Equal(["/tmp/data/h.csv"], summary.DataRead);
    }

    [Fact]
    public void AddLine_FailedOrRefusedOpenOfADataFile_NotListed()
    {
        var summary = Summarize(
            """11    openat(AT_FDCWD</tmp>, "/tmp/data/n.csv", O_WRONLY|O_CLOEXEC) = -1 EACCES (Permission denied)""",
            """11    openat(AT_FDCWD</>, "/tmp/data/a.csv", O_RDONLY|O_CLOEXEC) = -1 EPERM (Operation not permitted) (INJECTED)""");

        Assert.Empty(summary.DataRead);
        Assert.Equal(2, summary.SyscallsDenied);
    }

    // ---- without a descriptor path (older traces, or strace could not read /proc/PID/fd) -------------------

    [Fact]
    public void AddLine_NoReturnedPathOpenByProcSelfRoot_ListsTheDataFile()
    {
        var summary = Summarize("""11    openat(AT_FDCWD</tmp>, "/proc/self/root/tmp/data/a.csv", O_RDONLY|O_CLOEXEC) = 3""");

        Assert.Equal(["/tmp/data/a.csv"], summary.DataRead);
    }

    [Fact]
    public void AddLine_NoReturnedPathRelativeNameAfterChdir_JoinedToTheWorkingFolderStracePrinted()
    {
        var summary = Summarize(
            """11    chdir("/tmp/data")                = 0""",
            """11    openat(AT_FDCWD</tmp/data>, "e.csv", O_RDONLY|O_CLOEXEC) = 4""");

        Assert.Equal(["/tmp/data/e.csv"], summary.DataRead);
    }

    [Fact]
    public void AddLine_NoReturnedPathReadOnlyCreate_ListedAsRead()
    {
        var summary = Summarize("""11    openat(AT_FDCWD</tmp>, "/tmp/data/f.csv", O_RDONLY|O_CREAT|O_CLOEXEC, 0644) = 4""");

        Assert.Equal(["/tmp/data/f.csv"], summary.DataRead);
    }

    [Fact]
    public void AddLine_KernelPathOutsideDataButNameInsideData_ListsTheName()
    {
        // A data folder may hold a link to a file elsewhere; opening it by its data name is listed under that name
        // (the line is in strace's format: the runner probes keep no such link).
        var summary = Summarize("""11    openat(AT_FDCWD</tmp>, "/tmp/data/link-out", O_RDONLY|O_CLOEXEC) = 3</etc/hostname>""");

        Assert.Equal(["/tmp/data/link-out"], summary.DataRead);
    }

    // ---- hostile names ------------------------------------------------------------------------------------

    [Fact]
    public void AddLine_DecoyPathsInTmpThatSpellDataPaths_NotData()
    {
        var summary = Summarize(
            """11    openat(AT_FDCWD</tmp>, "/tmp/x>/tmp/data/j.csv", O_RDONLY|O_CLOEXEC) = 4</tmp/x\76/tmp/data/j.csv>""",
            """11    openat(AT_FDCWD</tmp>, "/tmp/y</tmp/data/j.csv>", O_RDONLY|O_CLOEXEC) = 4</tmp/y\74/tmp/data/j.csv\76>""",
            """11    openat(AT_FDCWD</tmp>, "/tmp/z> = 3</tmp/data/j.csv>", O_RDONLY|O_CLOEXEC) = 4</tmp/z\76 = 3\74/tmp/data/j.csv\76>""",
            """11    openat(AT_FDCWD</tmp>, "/tmp/nl\n10    openat(AT_FDCWD, \"/tmp/data/j.csv\", O_RDONLY) = 3</tmp/data/j.csv>", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 4</tmp/nl\n10    openat(AT_FDCWD, \"/tmp/data/j.csv\", O_RDONLY) = 3\74/tmp/data/j.csv\76>""",
            """11    openat(AT_FDCWD</tmp>, "/tmp/data-not-data", O_RDONLY|O_CREAT|O_CLOEXEC, 0600) = 4</tmp/data-not-data>""");

        Assert.Empty(summary.DataRead);
        Assert.Equal(
            ["/tmp/nl\n10    openat(AT_FDCWD, \"/tmp/data/j.csv\", O_RDONLY) = 3</tmp/data/j.csv>", "/tmp/data-not-data"],
            summary.FilesWritten);
    }

    [Fact]
    public void AddLine_DataNamesStraceEscapes_DecodedFromTheKernelPath()
    {
        var summary = Summarize(
            """11    openat(AT_FDCWD</tmp>, "/tmp/data/with space.csv", O_RDONLY|O_CLOEXEC) = 4</tmp/data/with space.csv>""",
            """11    openat(AT_FDCWD</tmp>, "/tmp/data/quote\"s.csv", O_RDONLY|O_CLOEXEC) = 4</tmp/data/quote\"s.csv>""",
            """11    openat(AT_FDCWD</tmp>, "/tmp/data/gt>name.csv", O_RDONLY|O_CLOEXEC) = 4</tmp/data/gt\76name.csv>""",
            """11    openat(AT_FDCWD</tmp>, "/tmp/data/lt<name.csv", O_RDONLY|O_CLOEXEC) = 4</tmp/data/lt\74name.csv>""",
            """11    openat(AT_FDCWD</tmp>, "/tmp/data/caf\303\251.csv", O_RDONLY|O_CLOEXEC) = 4</tmp/data/caf\303\251.csv>""",
            """11    openat(AT_FDCWD</tmp>, "/tmp/data/bad\377\376.csv", O_RDONLY|O_CLOEXEC) = 4</tmp/data/bad\377\376.csv>""");

        Assert.Equal(
            [
                "/tmp/data/bad\uFFFD\uFFFD.csv", "/tmp/data/café.csv", "/tmp/data/gt>name.csv", "/tmp/data/lt<name.csv",
                "/tmp/data/quote\"s.csv", "/tmp/data/with space.csv",
            ],
            summary.DataRead);
    }

    [Fact]
    public void AddLine_DirectoryDescriptorWithAQuoteInItsPath_StillListsTheDataFile()
    {
        var summary = Summarize(
            """12    openat(AT_FDCWD</tmp>, "/tmp/q\"x", O_RDONLY|O_CLOEXEC|O_DIRECTORY) = 3</tmp/q\"x>""",
            """12    openat(3</tmp/q\"x>, "/tmp/data/k.csv", O_RDONLY|O_CLOEXEC) = 4</tmp/data/k.csv>""");

        Assert.Equal(["/tmp/data/k.csv"], summary.DataRead);
    }

    [Fact]
    public void AddLine_DirectoryDescriptorWithAParenthesisInItsPath_StillListsTheDataFile()
    {
        var summary = Summarize(
            """12    openat(AT_FDCWD</tmp>, "/tmp/p), x", O_RDONLY|O_CLOEXEC|O_DIRECTORY) = 4</tmp/p), x>""",
            """12    openat(4</tmp/p), x>, "/tmp/data/a.csv", O_RDONLY|O_CLOEXEC) = 5</tmp/data/a.csv>""");

        Assert.Equal(["/tmp/data/a.csv"], summary.DataRead);
    }

    // ---- issue 19 row 6: network attempts mean network --------------------------------------------------

    [Fact]
    public void AddLine_NscdProbe_UnixSocketAttemptNotNetwork()
    {
        var summary = Summarize("""11    connect(3<socket:[39594]>, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT (No such file or directory)""");

        Assert.Empty(summary.NetworkAttempts);
        Assert.Equal([new SocketAttempt("connect", "AF_UNIX", "/var/run/nscd/socket", null, "ENOENT")], summary.UnixSocketAttempts);
    }

    [Fact]
    public void AddLine_NetlinkRouteQuery_NotListed()
    {
        var summary = Summarize(
            """12    bind(5<socket:[42606]>, {sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, 12) = 0""",
            """12    sendto(5<socket:[42606]>, [{nlmsg_len=20, nlmsg_type=RTM_GETADDR, nlmsg_flags=NLM_F_REQUEST|NLM_F_DUMP, nlmsg_seq=1796283620, nlmsg_pid=0}, {ifa_family=AF_UNSPEC, ...}], 20, 0, {sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, 12) = 20""");

        Assert.Empty(summary.NetworkAttempts);
        Assert.Empty(summary.UnixSocketAttempts);
    }

    [Fact]
    public void AddLine_SendtoWhoseDataSpellsAUnixAddress_ListedAtItsRealDestination()
    {
        var summary = Summarize("""12    sendto(5<socket:[42600]>, "{sa_family=AF_UNIX, sun_path=\"/x"..., 34, 0, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("1.1.1.1")}, 16) = -1 ENETUNREACH (Network is unreachable)""");

        Assert.Equal([new SocketAttempt("sendto", "AF_INET", "1.1.1.1", 53, "ENETUNREACH")], summary.NetworkAttempts);
        Assert.Empty(summary.UnixSocketAttempts);
    }

    [Fact]
    public void AddLine_NetworkFamilies_AddressesPortsAndResults()
    {
        var summary = Summarize(
            """11    connect(4, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2606:4700::1111", &sin6_addr), sin6_scope_id=0}, 28) = -1 EADDRNOTAVAIL (Cannot assign requested address)""",
            """12    sendmsg(5<socket:[42601]>, {msg_name={sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("9.9.9.9")}, msg_namelen=16, msg_iov=[{iov_base="hello", iov_len=5}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = -1 ENETUNREACH (Network is unreachable)""",
            """12    sendmmsg(5<socket:[42602]>, [{msg_hdr={msg_name={sa_family=AF_INET, sin_port=htons(123), sin_addr=inet_addr("8.8.4.4")}, msg_namelen=16, msg_iov=[{iov_base="ntp", iov_len=3}], msg_iovlen=1, msg_controllen=0, msg_flags=0}}], 1, 0) = -1 ENETUNREACH (Network is unreachable)""",
            // Written in strace's format (a bind and a send the sandbox could not make succeed):
            "10    bind(5, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"0.0.0.0\")}, 16) = 0",
            "10    sendto(6, \"\\1\\2\", 2, 0, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr(\"8.8.8.8\")}, 16) = -1 EPERM (Operation not permitted)",
            "10    sendto(7, \"x\", 1, 0, NULL, 0) = 1");

        Assert.Equal(
            [
                new SocketAttempt("connect", "AF_INET6", "2606:4700::1111", 443, "EADDRNOTAVAIL"),
                new SocketAttempt("sendmsg", "AF_INET", "9.9.9.9", 53, "ENETUNREACH"),
                new SocketAttempt("sendmmsg", "AF_INET", "8.8.4.4", 123, "ENETUNREACH"),
                new SocketAttempt("bind", "AF_INET", "0.0.0.0", 8080, "ok"),
                new SocketAttempt("sendto", "AF_INET", "8.8.8.8", 53, "EPERM"),
            ],
            summary.NetworkAttempts);
        Assert.Equal(1, summary.SyscallsDenied);
    }

    // ---- ordering, caps, bounds ---------------------------------------------------------------------------

    [Fact]
    public void Build_DataReadInAnyTraceOrder_SortedAndDistinct()
    {
        var summary = Summarize(
            """11    openat(AT_FDCWD</tmp>, "/tmp/data/sub", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 4</tmp/data/sub>""",
            """11    openat(AT_FDCWD</tmp>, "/proc/self/root/tmp/data/a.csv", O_RDONLY|O_CLOEXEC) = 3</tmp/data/a.csv>""",
            """11    openat(AT_FDCWD</tmp>, "/tmp/data", O_RDONLY|O_CLOEXEC|O_DIRECTORY) = 3</tmp/data>""",
            """11    openat(3</tmp/data>, "a.csv", O_RDONLY|O_CLOEXEC) = 4</tmp/data/a.csv>""");

        Assert.Equal(["/tmp/data", "/tmp/data/a.csv", "/tmp/data/sub"], summary.DataRead);
    }

    [Fact]
    public void AddLine_MoreThanTheCap_FirstDistinctPathsKeptSortedAndCapped()
    {
        var builder = new TraceSummaryBuilder();
        for (var i = TraceSummaryBuilder.MaxEntries + 49; i >= 0; i--)
        {
            builder.AddLine($"10    openat(AT_FDCWD</tmp>, \"f{i:D5}\", O_RDONLY) = 3</tmp/data/f{i:D5}>");
            builder.AddLine($"10    connect(3, {{sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr(\"1.1.1.{i % 250}\")}}, 16) = -1 ENETUNREACH (Network is unreachable)");
            builder.AddLine($"10    connect(4, {{sa_family=AF_UNIX, sun_path=\"/run/s{i}\"}}, 110) = -1 ENOENT (No such file or directory)");
        }

        var summary = builder.Build();

        Assert.True(summary.Capped);
        Assert.Equal(TraceSummaryBuilder.MaxEntries, summary.DataRead.Count);
        // The first MaxEntries seen (f01049 down to f00050), in sorted order.
        Assert.Equal("/tmp/data/f00050", summary.DataRead[0]);
        Assert.Equal("/tmp/data/f01049", summary.DataRead[^1]);
        Assert.Equal(summary.DataRead.Order(StringComparer.Ordinal), summary.DataRead);
        Assert.Equal(TraceSummaryBuilder.MaxEntries, summary.NetworkAttempts.Count);
        Assert.Equal(TraceSummaryBuilder.MaxEntries, summary.UnixSocketAttempts.Count);
    }

    [Fact]
    public void AddLine_UnfinishedAndResumedOpenat_JoinedPerPid()
    {
        var summary = Summarize(
            "12    openat(AT_FDCWD</tmp>, \"/tmp/data/x.csv\", O_RDONLY|O_CLOEXEC <unfinished ...>",
            "13    openat(AT_FDCWD</tmp>, \"/tmp/data/y.csv\", O_RDONLY <unfinished ...>",
            "12    <... openat resumed>)              = 3</tmp/data/x.csv>",
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
            "10    openat2(AT_FDCWD, \"/tmp/data/z\", {flags=O_RDONLY|O_CLOEXEC, resolve=RESOLVE_NO_SYMLINKS}, 24) = 7",
            """11    openat(AT_FDCWD</tmp/out>, "result.txt", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 3</tmp/out/result.txt>""");

        Assert.Equal(["/tmp/data/rw.csv", "/tmp/out/a", "/tmp/out/b", "/tmp/out/result.txt"], summary.FilesWritten);
        Assert.Equal(["/tmp/data/rw.csv", "/tmp/data/z"], summary.DataRead);
    }

    [Fact]
    public void AddLine_MoreThanTheCapOfPrograms_Capped()
    {
        var builder = new TraceSummaryBuilder();
        for (var i = 0; i <= TraceSummaryBuilder.MaxEntries; i++)
        {
            builder.AddLine($"10    execve(\"/usr/bin/p{i}\", [\"p{i}\"], 0x7ffd /* 7 vars */) = 0");
        }

        var summary = builder.Build();

        Assert.True(summary.Capped);
        Assert.Equal(TraceSummaryBuilder.MaxEntries, summary.Processes.Count);
    }

    [Fact]
    public async Task Append_OpenWithTheLongestEscapedPathsStraceNearlyPrints_DataFileListed()
    {
        // strace-long-paths-probe.py: a 3.7 KB folder descriptor and a 3.8 KB path, both of \377 bytes (4 characters
        // each once escaped), through "..", to /tmp/data/a.csv: a 30 KB line, inside MaxLineBytes.
        var bytes = await File.ReadAllBytesAsync(Resource("strace-dash-y-long-paths.txt"));
        Assert.InRange(bytes.Length, 29_000, TraceSummaryBuilder.MaxLineBytes);
        var builder = new TraceSummaryBuilder();

        builder.Append(bytes);

        Assert.Equal(["/tmp/data/a.csv"], builder.Build().DataRead);
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
