using System.Text;
using DataExchangeTasker.Dependencies;

namespace DataExchangeTasker.Tests.Dependencies;

public sealed class RequirementsCheckTests
{
    private static string? Check(string text) => RequirementsCheck.FindRefusal(Encoding.UTF8.GetBytes(text));

    [Theory]
    [InlineData("numpy")]
    [InlineData("numpy==1.24.4")]
    [InlineData("numpy~=1.24.0")]
    [InlineData("numpy >= 1.24, < 2")]
    [InlineData("numpy!=1.25.*")]
    [InlineData("numpy===1.24.4")]
    [InlineData("scikit-learn<1.4")]
    [InlineData("zope.interface")]
    [InlineData("typing_extensions>=4.0")]
    [InlineData("a")]
    [InlineData("torch==2.1.0+cpu")]
    [InlineData("requests[security]")]
    [InlineData("requests[security,socks]>=2.31")]
    [InlineData("Django[argon2]==4.2 ; python_version>\"3\"")]
    [InlineData("pandas>=2; python_version >= \"3.8\"")]
    [InlineData("pywin32>=306 ; sys_platform == \"win32\" and python_version < \"3.13\"")]
    [InlineData("pandas (>=2.0,<3)")]
    [InlineData("pandas[performance] (>=2.0) ; python_version >= \"3.8\"")]
    [InlineData("numpy==1.24.4 --hash=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("numpy==1.24.4 --hash=sha256:aa --hash=sha256:bb")]
    [InlineData("numpy==1.24.4; python_version>\"3\" --hash=sha256:aa")]
    [InlineData("numpy  # pinned elsewhere")]
    [InlineData("numpy>=1.24,")]
    [InlineData("requests [ security , socks ] >= 2.31 , < 3")]
    [InlineData("numpy==1.24.4\t--hash=sha256:aa")]
    [InlineData("backports.zoneinfo;python_version<\"3.9\"")]
    public void FindRefusal_ValidRequirement_IsAccepted(string line)
    {
        Assert.Null(Check(line + "\n"));
    }

    [Fact]
    public void FindRefusal_CommentsBlankLinesAndCrlf_AreAccepted()
    {
        Assert.Null(Check("# what run.py needs\r\n\r\n   \r\nnumpy==1.24.4\r\n\t# indented comment\r\npandas>=2 # trailing comment\r\n"));
    }

    [Fact]
    public void FindRefusal_HashesOnContinuationLines_AreAccepted()
    {
        var text = "numpy==1.24.4 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\npandas==2.1.4 \\\r\n    --hash=sha256:cc\r\n";

        Assert.Null(Check(text));
    }

    [Fact]
    public void FindRefusal_EmptyFile_IsAccepted()
    {
        Assert.Null(RequirementsCheck.FindRefusal([]));
    }

    [Fact]
    public void FindRefusal_Utf8ByteOrderMark_IsAccepted()
    {
        // Windows editors save UTF-8 with a BOM; pip reads such files.
        byte[] content = [0xEF, 0xBB, 0xBF, .. "numpy==1.24.4\n"u8];

        Assert.Null(RequirementsCheck.FindRefusal(content));
    }

    [Theory]
    [InlineData("-r other.txt")]
    [InlineData("--requirement other.txt")]
    [InlineData("-c constraints.txt")]
    [InlineData("-e .")]
    [InlineData("--editable git+https://github.com/x/y")]
    [InlineData("--index-url https://pypi.org/simple")]
    [InlineData("--extra-index-url https://evil.example/simple")]
    [InlineData("--find-links /srv/wheels")]
    [InlineData("-f /srv/wheels")]
    [InlineData("-i https://evil.example/simple")]
    [InlineData("--trusted-host evil.example")]
    [InlineData("pkg @ https://x.example/y.whl")]
    [InlineData("pkg@https://x.example/y.whl")]
    [InlineData("pkg @ file:///srv/pkg")]
    [InlineData("./x.whl")]
    [InlineData("../pkg")]
    [InlineData("/abs/path")]
    [InlineData("/abs/path/pkg-1.0-py3-none-any.whl")]
    [InlineData("x.whl")]
    [InlineData("pkg-1.0.tar.gz")]
    [InlineData("pkg-1.0.zip")]
    [InlineData("https://x.example/y.whl")]
    [InlineData("git+https://github.com/x/y")]
    [InlineData("numpy==1.24.4 --global-option=--x")]
    [InlineData("numpy==1.24.4 --config-settings=x=y")]
    [InlineData("numpy==1.24.4 -r other.txt")]
    [InlineData("numpy; python_version > \"3\" --index-url http://evil.example/simple")]
    [InlineData("numpy; python_version > \"3\" -e .")]
    [InlineData("pkg[a -r other.txt]")]
    [InlineData("pkg[a, -e]")]
    [InlineData("pkg>= -ehttp")]
    [InlineData("pkg==1.0 >=2")]
    [InlineData("pkg.")]
    public void FindRefusal_RefusedLine_NamesLineOneAndQuotesIt(string line)
    {
        var refusal = Check(line + "\n");

        Assert.NotNull(refusal);
        Assert.Contains($"line 1 \"{line}\" is not accepted", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void FindRefusal_RefusedLineAfterOthers_NamesItsOwnLineNumber()
    {
        var refusal = Check("# deps\nnumpy==1.24.4\n\npandas>=2\r\n-e .\r\nscipy\n");

        Assert.Equal("requirements.txt line 5 \"-e .\" is not accepted: expected an option line (like -r, -e, --index-url or --find-links); "
            + "the node's operator chooses where packages come from, and each requirement must be a package name with an optional version.", refusal);
    }

    [Fact]
    public void FindRefusal_OptionOnAContinuationLine_NamesTheFirstLineOfTheJoinedLine()
    {
        var refusal = Check("scipy\nnumpy==1.24.4 \\\n    --index-url=https://evil.example/simple\n");

        Assert.NotNull(refusal);
        Assert.Contains("line 2 \"numpy==1.24.4      --index-url=https://evil.example/simple\"", refusal, StringComparison.Ordinal);
        Assert.Contains("other than --hash", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void FindRefusal_Archive_SaysItIsAnArchive()
    {
        var refusal = Check("x.whl\n");

        Assert.NotNull(refusal);
        Assert.Contains("not an archive file", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void FindRefusal_OptionLineWithTrailingComment_IsQuotedWithoutTheComment()
    {
        var refusal = Check("--index-url https://evil.example/simple # our mirror\n");

        Assert.NotNull(refusal);
        Assert.Contains("line 1 \"--index-url https://evil.example/simple\"", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void FindRefusal_LastLineWithoutNewline_IsChecked()
    {
        Assert.NotNull(Check("numpy\n-e ."));
        Assert.NotNull(Check("numpy \\\n-e ."));
    }

    [Fact]
    public void FindRefusal_VeryLongLine_IsQuotedShortened()
    {
        var line = "-e " + new string('x', 500);

        var refusal = Check(line);

        Assert.NotNull(refusal);
        Assert.Contains("\"" + line[..120] + "…\"", refusal, StringComparison.Ordinal);
        Assert.DoesNotContain(line[..121], refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void FindRefusal_NotUtf8_IsRefused()
    {
        byte[] latin1 = [.. "numpy\n# caf"u8, 0xE9, (byte)'\n'];

        Assert.Equal("requirements.txt is not UTF-8 text.", RequirementsCheck.FindRefusal(latin1));
    }

    [Fact]
    public void FindRefusal_MoreThanMaxBytes_IsRefusedWithTheSize()
    {
        var content = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("# padding line\n", (RequirementsCheck.MaxBytes / 15) + 1)));
        Assert.True(content.Length > RequirementsCheck.MaxBytes);

        var refusal = RequirementsCheck.FindRefusal(content);

        Assert.Equal($"requirements.txt is {content.Length} bytes; expected at most {RequirementsCheck.MaxBytes} bytes (a list of packages).", refusal);
    }

    [Fact]
    public void FindRefusal_ExactlyMaxBytes_IsAccepted()
    {
        var content = Encoding.UTF8.GetBytes("numpy\n" + new string('#', RequirementsCheck.MaxBytes - 7) + "\n");
        Assert.Equal(RequirementsCheck.MaxBytes, content.Length);

        Assert.Null(RequirementsCheck.FindRefusal(content));
    }

    [Theory]
    [InlineData("a==1{0}x")]
    [InlineData("a{0}x")]
    [InlineData("a[b]{0}==1{0}x")]
    [InlineData("a==1;{0}x{0}-e")]
    [InlineData("a==1{0}--hash=x{0}-e")]
    [InlineData("a (==1{0}x")]
    public void FindRefusal_LongRunsOfWhitespace_AnswerQuickly(string shape)
    {
        var line = string.Format(System.Globalization.CultureInfo.InvariantCulture, shape, new string(' ', 20_000));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var refusal = Check(line);

        Assert.NotNull(refusal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
    }
}
