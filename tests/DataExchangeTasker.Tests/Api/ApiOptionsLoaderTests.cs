using DataExchangeTasker.Configuration;

namespace DataExchangeTasker.Tests.Api;

public sealed class ApiOptionsLoaderTests
{
    [Fact]
    public void Load_Defaults_BindsLoopback9433AndHasTheFourTiers()
    {
        var options = ApiOptionsLoader.Load(new Dictionary<string, string?>());
        Assert.Equal("127.0.0.1:9433", options.Bind.ToString());
        Assert.Equal(new TierLimits(10, 1), options.Tiers["free"]);
        Assert.Equal(new TierLimits(5000, 50), options.Tiers["enterprise"]);
        Assert.Equal(["free", "basic", "premium", "enterprise"], options.Tiers.Keys);
        Assert.Null(options.AdminKey);
    }

    [Fact]
    public void Load_BadValues_NamesEveryOne()
    {
        var e = Assert.Throws<ConfigurationException>(() => ApiOptionsLoader.Load(new Dictionary<string, string?>
        {
            ["TASKER_API_BIND"] = "localhost",
            ["TASKER_DB"] = "relative.db",
            ["TASKER_ADMIN_KEY"] = "short",
            ["TASKER_API_TIERS"] = "free=10",
        }));
        foreach (var name in new[] { "TASKER_API_BIND", "TASKER_DB", "TASKER_ADMIN_KEY", "TASKER_API_TIERS" })
        {
            Assert.Contains(name, e.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("free=10/1,gold=100/3", 2)]
    [InlineData("free=0/1", 0)]
    [InlineData("free=10/1/2", 0)]
    [InlineData("=10/1", 0)]
    public void ParseTiers_Text_ReturnsTiersOrNull(string text, int count) => Assert.Equal(count, ApiOptionsLoader.ParseTiers(text)?.Count ?? 0);

    [Fact]
    public void UnknownVariables_ApiSettings_AreKnown() =>
        Assert.Empty(TaskerOptionsLoader.UnknownVariables(["TASKER_API_BIND", "TASKER_DB", "TASKER_ADMIN_KEY", "TASKER_API_TIERS", "TASKER_API_ID"]));
}
