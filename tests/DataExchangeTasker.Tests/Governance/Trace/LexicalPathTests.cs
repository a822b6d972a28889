using DataExchangeTasker.Governance.Trace;

namespace DataExchangeTasker.Tests.Governance.Trace;

public sealed class LexicalPathTests
{
    [Theory]
    [InlineData(null, "/tmp/data/a.csv", "/tmp/data/a.csv")]
    [InlineData("/tmp", "/tmp/data//./sub/../a.csv", "/tmp/data/a.csv")]
    [InlineData("/tmp/data", "e.csv", "/tmp/data/e.csv")]
    [InlineData("/tmp/data", "../code/run.py", "/tmp/code/run.py")]
    [InlineData(null, "/proc/self/root/tmp/data/a.csv", "/tmp/data/a.csv")]
    [InlineData(null, "/proc/thread-self/root/tmp/data/a.csv", "/tmp/data/a.csv")]
    [InlineData(null, "/proc/42/root/proc/self/root/tmp/data/a.csv", "/tmp/data/a.csv")]
    [InlineData(null, "/proc/self/root/../tmp/data/a.csv", "/tmp/data/a.csv")]
    [InlineData("/proc/self", "root/tmp/data", "/tmp/data")]
    [InlineData(null, "/proc/self/rootx/tmp/data", "/proc/self/rootx/tmp/data")]
    [InlineData(null, "/proc/self/fd/3/b.csv", "/proc/self/fd/3/b.csv")]
    public void Resolve_PathAndFolder_NormalisedAbsolutePath(string? directory, string path, string expected)
    {
        Assert.Equal(expected, LexicalPath.Resolve(directory, path));
    }

    [Theory]
    [InlineData(null, "e.csv")]
    [InlineData("socket:[1]", "e.csv")]
    public void Resolve_RelativePathWithoutAnAbsoluteFolder_Null(string? directory, string path)
    {
        Assert.Null(LexicalPath.Resolve(directory, path));
    }

    [Theory]
    [InlineData("/tmp/data", true)]
    [InlineData("/tmp/data/a.csv", true)]
    [InlineData("/tmp/data-not-data", false)]
    [InlineData("/tmp/datab/a.csv", false)]
    [InlineData("/tmp/x>/tmp/data/j.csv", false)]
    [InlineData("/tmp", false)]
    public void IsUnder_Path_OnlyTheFolderAndItsContents(string path, bool expected)
    {
        Assert.Equal(expected, LexicalPath.IsUnder(path, "/tmp/data"));
    }
}
