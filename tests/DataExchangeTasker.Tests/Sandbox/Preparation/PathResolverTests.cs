using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Sandbox.Preparation;

public sealed class PathResolverTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _root;

    public PathResolverTests()
    {
        _root = _temp.CreateFolder("root");
    }

    public void Dispose() => _temp.Dispose();

    private (ResolvedPath? Path, TaskRejection? Rejection) Resolve(string relative, string field = "codePath") =>
        PathResolver.Resolve(_root, relative, field, "/tmp/code");

    private ResolvedPath AssertResolved(string relative)
    {
        var (path, rejection) = Resolve(relative);
        Assert.Null(rejection);
        return Assert.IsType<ResolvedPath>(path);
    }

    private TaskRejection AssertRejected(string relative, string reason, string field = "codePath")
    {
        var (path, rejection) = Resolve(relative, field);
        Assert.Null(path);
        Assert.NotNull(rejection);
        Assert.Equal(reason, rejection.Reason);
        return rejection;
    }

    [Fact]
    public void Resolve_RelativeFolder_ReturnsCanonicalHostPathAndContainerPath()
    {
        _temp.WriteFile("root/demo1_code/run.py", "print(1)\n");

        var resolved = AssertResolved("demo1_code");

        Assert.Equal(Path.Combine(_root, "demo1_code"), resolved.HostPath);
        Assert.Equal("/tmp/code/demo1_code", resolved.ContainerPath);
        Assert.True(resolved.IsDirectory);
    }

    [Fact]
    public void Resolve_RelativeFile_IsNotADirectory()
    {
        _temp.WriteFile("root/tools/count.py", "");

        var resolved = AssertResolved("tools/count.py");

        Assert.False(resolved.IsDirectory);
        Assert.Equal("/tmp/code/tools/count.py", resolved.ContainerPath);
    }

    [Theory]
    [InlineData("tools/count lines.py")]
    [InlineData("Grüße/ü 😀.py")]
    [InlineData("a:b/c,d=e.py")]
    public void Resolve_SpacesAndUnicode_AreAccepted(string relative)
    {
        _temp.WriteFile("root/" + relative, "");

        var resolved = AssertResolved(relative);

        Assert.Equal(Path.Combine(_root, relative), resolved.HostPath);
        Assert.Equal("/tmp/code/" + relative, resolved.ContainerPath);
    }

    [Theory]
    [InlineData("./a//b/./c.py", "/tmp/code/a/b/c.py")]
    [InlineData("a/b/c.py/", "/tmp/code/a/b/c.py")]
    [InlineData("a/./b//c.py", "/tmp/code/a/b/c.py")]
    public void Resolve_RedundantSeparatorsAndDots_AreNormalisedInContainerPath(string relative, string expected)
    {
        _temp.WriteFile("root/a/b/c.py", "");

        var resolved = AssertResolved(relative);

        Assert.Equal(expected, resolved.ContainerPath);
        Assert.Equal(Path.Combine(_root, "a/b/c.py"), resolved.HostPath);
    }

    [Fact]
    public void Resolve_AbsolutePath_IsNotAllowed()
    {
        var rejection = AssertRejected("/etc/passwd", Reasons.PathNotAllowed);

        Assert.Equal("codePath \"/etc/passwd\" is absolute; expected a path relative to the code root.", rejection.Message);
    }

    [Fact]
    public void Resolve_AbsolutePathInsideRoot_IsStillNotAllowed()
    {
        _temp.WriteFile("root/run.py", "");

        AssertRejected(Path.Combine(_root, "run.py"), Reasons.PathNotAllowed);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("../data")]
    [InlineData("a/../../etc")]
    [InlineData("a/../b")]
    [InlineData("a/..")]
    public void Resolve_DotDotSegment_IsNotAllowed(string relative)
    {
        _temp.CreateFolder("root/a");
        _temp.CreateFolder("root/b");

        var rejection = AssertRejected(relative, Reasons.PathNotAllowed, "dataPath");

        Assert.Contains($"dataPath \"{relative}\" contains a \"..\" segment", rejection.Message, StringComparison.Ordinal);
        Assert.Contains("data root", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_DotDotInsideAName_IsAllowed()
    {
        _temp.WriteFile("root/a..b/x..py", "");

        AssertResolved("a..b/x..py");
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("./")]
    [InlineData("./.")]
    public void Resolve_PathNamingTheRootItself_IsNotAllowed(string relative)
    {
        var rejection = AssertRejected(relative, Reasons.PathNotAllowed);

        Assert.Contains("does not name a file or folder", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_NulCharacter_IsNotAllowed()
    {
        AssertRejected("run.py\0.txt", Reasons.PathNotAllowed);
    }

    [Fact]
    public void Resolve_SymlinkInsideRootToOutsideFolder_IsNotAllowed()
    {
        var outside = _temp.CreateFolder("outside");
        File.WriteAllText(Path.Combine(outside, "secret.txt"), "secret");
        Directory.CreateSymbolicLink(Path.Combine(_root, "escape"), outside);

        var rejection = AssertRejected("escape", Reasons.PathNotAllowed);
        Assert.Contains("resolves outside the code root", rejection.Message, StringComparison.Ordinal);
        AssertRejected("escape/secret.txt", Reasons.PathNotAllowed);
    }

    [Fact]
    public void Resolve_SymlinkToSiblingWithCommonPrefix_IsNotAllowed()
    {
        var sibling = _temp.CreateFolder("root-evil");
        Directory.CreateSymbolicLink(Path.Combine(_root, "link"), sibling);

        AssertRejected("link", Reasons.PathNotAllowed);
    }

    [Fact]
    public void Resolve_RelativeSymlinkEscapingTheRoot_IsNotAllowed()
    {
        _temp.WriteFile("outside.py", "");
        File.CreateSymbolicLink(Path.Combine(_root, "up.py"), "../outside.py");

        AssertRejected("up.py", Reasons.PathNotAllowed);
    }

    [Fact]
    public void Resolve_SymlinkToRootDirectory_IsNotAllowed()
    {
        Directory.CreateSymbolicLink(Path.Combine(_root, "slash"), "/");

        AssertRejected("slash/etc/passwd", Reasons.PathNotAllowed);
    }

    [Fact]
    public void Resolve_SymlinkInsideRootToInside_ReturnsCanonicalTarget()
    {
        _temp.WriteFile("root/real/run.py", "");
        Directory.CreateSymbolicLink(Path.Combine(_root, "alias"), Path.Combine(_root, "real"));

        var resolved = AssertResolved("alias");

        Assert.Equal(Path.Combine(_root, "real"), resolved.HostPath);
        Assert.Equal("/tmp/code/alias", resolved.ContainerPath);
        Assert.True(resolved.IsDirectory);
    }

    [Fact]
    public void Resolve_RootThatIsASymlink_ComparesCanonicalPaths()
    {
        _temp.WriteFile("root/run.py", "");
        var linkedRoot = _temp.Combine("root-link");
        Directory.CreateSymbolicLink(linkedRoot, _root);

        var (path, rejection) = PathResolver.Resolve(linkedRoot, "run.py", "codePath", "/tmp/code");

        Assert.Null(rejection);
        Assert.Equal(Path.Combine(_root, "run.py"), path?.HostPath);
    }

    [Fact]
    public void Resolve_DanglingSymlink_IsNotFound()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "dangling.py"), Path.Combine(_root, "gone.py"));

        AssertRejected("dangling.py", Reasons.PathNotFound);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("missing/deeper/run.py")]
    public void Resolve_MissingPath_IsNotFound(string relative)
    {
        var rejection = AssertRejected(relative, Reasons.PathNotFound, "dataPath");

        Assert.Equal($"dataPath \"{relative}\" does not exist under the data root.", rejection.Message);
    }

    [Fact]
    public void Resolve_PathThroughAFile_IsNotFound()
    {
        _temp.WriteFile("root/file.py", "");

        AssertRejected("file.py/x", Reasons.PathNotFound);
    }

    [Fact]
    public void Resolve_MissingRoot_Throws()
    {
        Assert.Throws<DirectoryNotFoundException>(() => PathResolver.Resolve(_temp.Combine("no-root"), "x", "codePath", "/tmp/code"));
    }

    [Theory]
    [InlineData("/a/b", "/a", true)]
    [InlineData("/a", "/a", true)]
    [InlineData("/ab", "/a", false)]
    [InlineData("/a/b", "/a/", true)]
    [InlineData("/anything", "/", true)]
    [InlineData("/b", "/a", false)]
    public void IsUnder_Paths_ComparesWholeSegments(string path, string root, bool expected)
    {
        Assert.Equal(expected, PathResolver.IsUnder(path, root));
    }

    [Fact]
    public async Task Resolve_File_RecordsDeviceAndInodeAsStatReportsThem()
    {
        _temp.WriteFile("root/data/people.csv", "a,b\n");
        var psi = new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%d %i", Path.Combine(_root, "data", "people.csv")]) { RedirectStandardOutput = true };
        using var stat = System.Diagnostics.Process.Start(psi)!;
        var expected = (await stat.StandardOutput.ReadToEndAsync()).Trim().Split(' ');
        await stat.WaitForExitAsync();

        var resolved = AssertResolved("data/people.csv");

        Assert.Equal(new FileIdentity(ulong.Parse(expected[0], System.Globalization.CultureInfo.InvariantCulture), ulong.Parse(expected[1], System.Globalization.CultureInfo.InvariantCulture)), resolved.Identity);
    }

    [Fact]
    public async Task Resolve_File_RecordsTheStampFindPrintsForIt()
    {
        _temp.WriteFile("root/data/stamped.csv", "a,b\n");
        var psi = new System.Diagnostics.ProcessStartInfo("find", [Path.Combine(_root, "data", "stamped.csv"), "-maxdepth", "0", "-printf", "%y %s %T@ %C@"]) { RedirectStandardOutput = true };
        using var find = System.Diagnostics.Process.Start(psi)!;
        var printed = (await find.StandardOutput.ReadToEndAsync()).Trim();
        await find.WaitForExitAsync();

        var resolved = AssertResolved("data/stamped.csv");

        // What the supervisor compares under gVisor: find's fractions cut to nine digits (nanoseconds).
        Assert.Equal(System.Text.RegularExpressions.Regex.Replace(printed, @"\.(\d{9})\d*", ".$1"), resolved.Stamp!.Text);
        Assert.StartsWith("f 4 ", resolved.Stamp.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_ThroughASymlinkInsideTheRoot_RecordsTheTargetsIdentity()
    {
        _temp.WriteFile("root/real/x.txt", "x");
        File.CreateSymbolicLink(Path.Combine(_root, "alias"), Path.Combine(_root, "real"));

        var resolved = AssertResolved("alias/x.txt");

        Assert.Equal(AssertResolved("real/x.txt").Identity, resolved.Identity);
        Assert.NotNull(resolved.Identity);
    }
}
