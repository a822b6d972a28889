using DataExchangeTasker.Docker;

namespace DataExchangeTasker.Tests.Docker;

public sealed class EngineStatusReadsTests
{
    [Fact]
    public void LabelFilter_KeysWithAndWithoutValues_EngineFilterJson()
    {
        var filter = EngineStatusReads.LabelFilter(new Dictionary<string, string?> { ["managed"] = null, ["owner"] = "node \"1\"" });

        Assert.Equal("""{"label":["managed","owner=node \u00221\u0022"]}""", filter);
    }
}
