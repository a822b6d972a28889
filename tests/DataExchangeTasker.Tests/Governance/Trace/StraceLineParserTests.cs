using DataExchangeTasker.Governance.Trace;

namespace DataExchangeTasker.Tests.Governance.Trace;

/// <summary>strace -y lines as strace 6.1 prints them in the runner image (Resources/strace-dash-y*.txt).</summary>
public sealed class StraceLineParserTests
{
    [Fact]
    public void Parse_ReturnedDescriptorWithEscapedPath_DecodedPathAndValue()
    {
        var call = new StraceLineParser().Parse("""11    openat(AT_FDCWD</tmp>, "/tmp/z> = 3</tmp/data/j.csv>", O_RDONLY|O_CLOEXEC) = 4</tmp/z\76 = 3\74/tmp/data/j.csv\76>""");

        Assert.NotNull(call);
        Assert.Equal(4, call.ReturnValue);
        Assert.Null(call.Errno);
        Assert.Equal("/tmp/z> = 3</tmp/data/j.csv>", call.ReturnedPath);
        Assert.Equal("/tmp", call.DescriptorPathAt(0));
        Assert.Equal("/tmp/z> = 3</tmp/data/j.csv>", call.StringAt(1));
    }

    [Fact]
    public void Parse_ReturnedPathWithSpaces_WholePath()
    {
        var call = new StraceLineParser().Parse("""11    openat(AT_FDCWD</tmp>, "/tmp/data/with space.csv", O_RDONLY|O_CLOEXEC) = 4</tmp/data/with space.csv>""");

        Assert.Equal("/tmp/data/with space.csv", call?.ReturnedPath);
    }

    [Fact]
    public void Parse_DescriptorArgumentWithParenthesisCommaAndQuote_ArgumentsSplitAtRealCommas()
    {
        var parser = new StraceLineParser();

        var paren = parser.Parse("""12    openat(4</tmp/p), x>, "/tmp/data/a.csv", O_RDONLY|O_CLOEXEC) = 5</tmp/data/a.csv>""");
        var quote = parser.Parse("""12    openat(3</tmp/q\"x>, "/tmp/data/k.csv", O_RDONLY|O_CLOEXEC) = 4</tmp/data/k.csv>""");

        Assert.Equal(["4</tmp/p), x>", "\"/tmp/data/a.csv\"", "O_RDONLY|O_CLOEXEC"], paren?.Arguments);
        Assert.Equal("/tmp/p), x", paren?.DescriptorPathAt(0));
        Assert.Equal(3, quote?.Arguments.Count);
        Assert.Equal("/tmp/q\"x", quote?.DescriptorPathAt(0));
        Assert.Equal("/tmp/data/k.csv", quote?.ReturnedPath);
    }

    [Fact]
    public void Parse_RefusalStraceInjected_ErrnoEperm()
    {
        var call = new StraceLineParser().Parse("""11    io_uring_setup(8, {flags=0, sq_thread_cpu=0, sq_thread_idle=0}) = -1 EPERM (Operation not permitted) (INJECTED)""");

        Assert.NotNull(call);
        Assert.Equal(-1, call.ReturnValue);
        Assert.Equal("EPERM", call.Errno);
        Assert.Null(call.ReturnedPath);
    }

    [Fact]
    public void Parse_SocketDescriptor_PathIsTheSocketName()
    {
        var call = new StraceLineParser().Parse("""11    socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0) = 3<socket:[39594]>""");

        Assert.Equal("socket:[39594]", call?.ReturnedPath);
        Assert.Equal(3, call?.ReturnValue);
    }

    [Fact]
    public void Parse_CapabilityShiftsAreNotDescriptorPaths_ArgumentsIntact()
    {
        // Written in strace's format: capset is not in the default filter.
        var call = new StraceLineParser().Parse("11    capset({version=_LINUX_CAPABILITY_VERSION_3, pid=0}, {effective=1<<CAP_CHOWN|1<<CAP_KILL, permitted=1<<CAP_CHOWN|1<<CAP_KILL, inheritable=0}) = 0");

        Assert.NotNull(call);
        Assert.Equal(2, call.Arguments.Count);
        Assert.Equal(0, call.ReturnValue);
    }

    [Fact]
    public void Parse_UnfinishedThenResumedWithDescriptorPaths_Joined()
    {
        var parser = new StraceLineParser();

        Assert.Null(parser.Parse("""12    execve("/tmp/data/prog", ["/tmp/data/prog"], 0x7ffeb4cab588 /* 9 vars */ <unfinished ...>"""));
        var call = parser.Parse("""12    <... execve resumed>)             = 0""");

        Assert.Equal("execve", call?.Name);
        Assert.Equal("/tmp/data/prog", call?.StringAt(0));
        Assert.True(call?.Succeeded);
    }
}
