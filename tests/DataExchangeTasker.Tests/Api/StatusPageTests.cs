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

    [Fact]
    public void TraceSummaryLine_FieldsItDoesNotKnow_ShownByNameAndCount()
    {
        var line = StatusPage.TraceSummaryLine("""{"traceSummary": {"dataRead": [], "unixSocketAttempts": [{"path": "/run/x.sock"}, {"path": "/tmp/y"}], "emptyList": []}}""");
        Assert.EndsWith(" · unixSocketAttempts: 2", line, StringComparison.Ordinal);
        Assert.DoesNotContain("emptyList", line, StringComparison.Ordinal);
    }

    [Fact]
    public void RenderDetail_FinishedTask_ShowsExitCodeOutputHeadsAndEveryTraceSummaryField_Encoded()
    {
        var body = """{"taskId":"t","state":"error","exitCode":3,"containerOutput":{"stdout":"<b>out</b>","stderr":"boom","strace":"execve(...)"},"traceSummary":{"dataRead":["/tmp/data/a.csv"],"unixSocketAttempts":[{"path":"/run/docker.sock"}]}}""";
        var task = new TaskRow { TaskId = "c:t", ClientTaskId = "t", ClientId = "c", State = "error", Reason = "exit_code", CreatedAt = 0, FinishedAt = 1500, DurationMs = 1400, DoneBody = body, DoneCount = 1 };
        var html = StatusPage.RenderDetail(task, DateTimeOffset.UnixEpoch.AddSeconds(2), "/view/x");
        Assert.Contains("<dt>exit code</dt><dd>3</dd>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;out&lt;/b&gt;", html, StringComparison.Ordinal);
        Assert.Contains("<dt>unixSocketAttempts</dt><dd>1: {&quot;path&quot;:&quot;/run/docker.sock&quot;}</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<dt>dataRead</dt><dd>1: /tmp/data/a.csv</dd>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http-equiv=\"refresh\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_UnfinishedTasks_ShowElapsedAndDueTimes_CountsAreFilterLinks()
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(100_000);
        TaskRow[] tasks =
        [
            new() { TaskId = "r", State = "running", CreatedAt = 10_000, PublishedAt = 20_000, StartedAt = 40_000 },
            new() { TaskId = "s", State = "scheduled", CreatedAt = 90_000, DueAt = 400_000 },
        ];
        var html = StatusPage.Render("client c", tasks, now, [new StateCount { State = "running", Tasks = 1 }, new StateCount { State = "scheduled", Tasks = 1 }], null, "/view/tok");
        Assert.Contains("running for 1 min 0 s", html, StringComparison.Ordinal);
        Assert.Contains("due 1970-01-01 00:06:40 UTC (in 5 min 0 s)", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"/view/tok?state=running\">running 1</a>", html, StringComparison.Ordinal);
        Assert.Contains("<a class=\"on\" href=\"/view/tok\">all 2</a>", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"/view/tok/tasks/r\">r</a>", html, StringComparison.Ordinal);
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
