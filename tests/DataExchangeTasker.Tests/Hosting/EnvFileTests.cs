using DataExchangeTasker.Configuration;
using DataExchangeTasker.Hosting;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Hosting;

public sealed class EnvFileTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private List<KeyValuePair<string, string>> Read(string text) => EnvFile.Read(_temp.WriteFile("tasker.env", text)).ToList();

    [Fact]
    public void Read_KeyValueLines_ReturnsPairsInOrder()
    {
        var pairs = Read("TASKER_CODE_ROOT=/srv/code\nTASKER_CONCURRENCY=4\n");

        Assert.Equal([new("TASKER_CODE_ROOT", "/srv/code"), new("TASKER_CONCURRENCY", "4")], pairs);
    }

    [Fact]
    public void Read_CommentsAndBlankLines_AreSkipped()
    {
        var pairs = Read("# comment\n\n   \n  # indented comment\nA=1\n");

        Assert.Equal([new("A", "1")], pairs);
    }

    [Theory]
    [InlineData("A=\"two words\"", "two words")]
    [InlineData("A='single'", "single")]
    [InlineData("A=\"\"", "")]
    [InlineData("A=\"unbalanced", "\"unbalanced")]
    [InlineData("A=\"mixed'", "\"mixed'")]
    [InlineData("A = spaced ", "spaced")]
    [InlineData("A=x=y", "x=y")]
    [InlineData("A=", "")]
    [InlineData("export A=exported", "exported")]
    [InlineData("A=amqp://u:p@h:5672/%2F#frag", "amqp://u:p@h:5672/%2F#frag")]
    public void Read_Value_IsUnquotedAndTrimmed(string line, string expected)
    {
        var pair = Assert.Single(Read(line + "\n"));

        Assert.Equal("A", pair.Key);
        Assert.Equal(expected, pair.Value);
    }

    [Fact]
    public void Read_WindowsLineEndings_AreTrimmed()
    {
        Assert.Equal([new("A", "1"), new("B", "2")], Read("A=1\r\nB=2\r\n"));
    }

    [Fact]
    public void Read_RepeatedKey_KeepsBothInOrderSoTheLastWins()
    {
        var pairs = Read("A=1\nA=2\n");

        Assert.Equal("2", pairs.Last(p => p.Key == "A").Value);
        Assert.Equal(2, pairs.Count);
    }

    [Theory]
    [InlineData("JUSTAKEY", 1)]
    [InlineData("=value", 1)]
    [InlineData("A=1\nB=2\nnot a pair", 3)]
    public void Read_MalformedLine_ThrowsNamingFileAndLine(string text, int line)
    {
        var path = _temp.WriteFile("bad.env", text);

        var error = Assert.Throws<ConfigurationException>(() => EnvFile.Read(path).ToList());

        Assert.StartsWith($"{path}:{line} \"", Assert.Single(error.Errors), StringComparison.Ordinal);
        Assert.EndsWith("is invalid: expected KEY=VALUE", error.Errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MissingFile_ThrowsNamingTheFlag()
    {
        var path = _temp.Combine("missing.env");

        var error = Assert.Throws<ConfigurationException>(() => EnvFile.Read(path).ToList());

        Assert.Equal($"--config \"{path}\" is invalid: expected an existing env file", Assert.Single(error.Errors));
    }
}
