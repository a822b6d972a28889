using System.CommandLine;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Hosting;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Hosting;

public sealed class SettingsSourceTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static (RootCommand Root, SettingsSource Source) Build()
    {
        var root = new RootCommand("test");
        var source = new SettingsSource();
        source.AddTo(root, Settings.All);
        return (root, source);
    }

    [Fact]
    public void AddTo_EverySetting_GetsItsFlag()
    {
        var (root, _) = Build();

        foreach (var setting in Settings.All)
        {
            Assert.Contains(root.Options, o => o.Name == setting.Flag);
        }

        Assert.Contains(root.Options, o => o.Name == "--config");
    }

    [Fact]
    public void Read_ValueFlag_SetsTheSetting()
    {
        var (root, source) = Build();

        var values = source.Read(root.Parse(["--code-root", "/srv/code", "--concurrency", "5"]));

        Assert.Equal("/srv/code", values["TASKER_CODE_ROOT"]);
        Assert.Equal("5", values["TASKER_CONCURRENCY"]);
    }

    [Fact]
    public void Read_BooleanFlagGiven_IsTrue()
    {
        var (root, source) = Build();

        var values = source.Read(root.Parse(["--keep-alive", "--require-code-hash"]));

        Assert.Equal("true", values["TASKER_KEEP_ALIVE"]);
        Assert.Equal("true", values["TASKER_REQUIRE_CODE_HASH"]);
    }

    [Fact]
    public void Read_BooleanFlagFalse_IsFalse()
    {
        var (root, source) = Build();

        var values = source.Read(root.Parse(["--keep-alive", "false"]));

        Assert.Equal("false", values["TASKER_KEEP_ALIVE"]);
    }

    [Fact]
    public void Read_ConfigFileOnly_ProvidesValues()
    {
        var name = "TASKER_UNITTEST_" + Guid.NewGuid().ToString("N");
        var file = _temp.WriteFile("tasker.env", $"{name}=from-file\n");
        var (root, source) = Build();

        var values = source.Read(root.Parse(["--config", file]));

        Assert.Equal("from-file", values[name]);
    }

    [Fact]
    public void Read_FlagOverridesConfigFile()
    {
        var file = _temp.WriteFile("tasker.env", "TASKER_DRAIN_TIMEOUT=5\n");
        var (root, source) = Build();

        var values = source.Read(root.Parse(["--config", file, "--drain-timeout", "7"]));

        Assert.Equal("7", values["TASKER_DRAIN_TIMEOUT"]);
    }

    [Fact]
    public void Read_EnvironmentOverridesConfigFile()
    {
        var name = "TASKER_UNITTEST_" + Guid.NewGuid().ToString("N");
        var file = _temp.WriteFile("tasker.env", $"{name}=from-file\n");
        var (root, source) = Build();
        Environment.SetEnvironmentVariable(name, "from-env");
        try
        {
            var values = source.Read(root.Parse(["--config", file]));

            Assert.Equal("from-env", values[name]);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void Read_NoFlags_LeavesUnsetSettingsToTheirDefaults()
    {
        var (root, source) = Build();

        var values = source.Read(root.Parse([]));

        Assert.Equal(Environment.GetEnvironmentVariable("TASKER_KEEP_ALIVE"), values.GetValueOrDefault("TASKER_KEEP_ALIVE"));
    }

    [Fact]
    public void Read_MissingConfigFile_Throws()
    {
        var (root, source) = Build();

        Assert.Throws<ConfigurationException>(() => source.Read(root.Parse(["--config", _temp.Combine("nope.env")])));
    }
}
