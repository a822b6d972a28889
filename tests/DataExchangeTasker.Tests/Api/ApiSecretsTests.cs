using DataExchangeTasker.Api.Quotas;
using DataExchangeTasker.Api.Status;

namespace DataExchangeTasker.Tests.Api;

public sealed class ApiSecretsTests
{
    [Fact]
    public void ApiKey_New_IsLongRandomAndHashedStably()
    {
        var a = ApiKey.New();
        Assert.StartsWith("tk_", a, StringComparison.Ordinal);
        Assert.True(a.Length >= 40);
        Assert.NotEqual(a, ApiKey.New());
        Assert.Equal(ApiKey.Hash(a), ApiKey.Hash(a));
        Assert.True(ApiKey.Matches(a, a));
        Assert.False(ApiKey.Matches(a + "x", a));
        Assert.False(ApiKey.Matches(null, a));
    }

    [Fact]
    public void ViewTokens_RoundTripAndRejectForgeries()
    {
        var tokens = new ViewTokens("secret-1");
        var token = tokens.Create("alice");
        Assert.Equal("alice", tokens.Read(token));
        Assert.Null(new ViewTokens("secret-2").Read(token));
        Assert.Null(tokens.Read(tokens.Create("bob").Split('.')[0] + "." + token.Split('.')[1]));
        Assert.Null(tokens.Read("garbage"));
        Assert.Null(tokens.Read("!!!.abc"));
        Assert.Equal(ViewTokens.Admin, tokens.Read(tokens.Create(ViewTokens.Admin)));
    }

    [Fact]
    public void RateWindow_RetryAfter_CountsToTheNextMinute()
    {
        Assert.Equal(60_000, RateWindow.Start(61_000));
        Assert.Equal(59, RateWindow.RetryAfterSeconds(61_000));
        Assert.Equal(1, RateWindow.RetryAfterSeconds(119_999));
    }
}
