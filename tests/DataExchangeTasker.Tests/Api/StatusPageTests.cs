using DataExchangeTasker.Api.Status;
using DataExchangeTasker.Api.Store;

namespace DataExchangeTasker.Tests.Api;

public sealed class StatusPageTests
{
    [Fact]
    public void Render_HostileValues_AreEncodedAndPageIsSelfContained()
    {
        var html = StatusPage.Render("client x", [new TaskRow { TaskId = "<script>alert(1)</script>", State = "success", CodePath = "\"><img src=x>", CreatedAt = 0, DurationMs = 1234 }], DateTimeOffset.UnixEpoch);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("http-equiv=\"refresh\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("src=\"http", html, StringComparison.Ordinal);
        Assert.Contains("1,234 ms", html, StringComparison.Ordinal);
    }

    [Fact]
    public void TraceSummaryLine_ExampleDoneMessage_SummarisesReadsNetworkAndPrograms()
    {
        var body = File.ReadAllText(Path.Combine(RepositoryRoot(), "protocol", "examples", "done", "success-with-receipt.json"));
        var line = StatusPage.TraceSummaryLine(body);
        Assert.Matches(@"^read \d+ data files · wrote \d+ files · .* · programs: .+$", line);
        Assert.Equal("", StatusPage.TraceSummaryLine("{\"traceSummary\": null}"));
        Assert.Equal("", StatusPage.TraceSummaryLine("not json"));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DataExchangeTasker.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found");
    }
}
