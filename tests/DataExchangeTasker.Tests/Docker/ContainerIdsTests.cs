using DataExchangeTasker.Docker;

namespace DataExchangeTasker.Tests.Docker;

public sealed class ContainerIdsTests
{
    [Fact]
    public void Shorten_EngineId_IsItsFirstTwelveCharacters()
    {
        Assert.Equal("0123456789ab", ContainerIds.Shorten("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
    }

    [Fact]
    public void Shorten_ShorterThanTwelve_IsKeptWhole()
    {
        Assert.Equal("tasker-x", ContainerIds.Shorten("tasker-x"));
    }
}
