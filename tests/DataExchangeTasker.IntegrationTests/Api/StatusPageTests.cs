using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace DataExchangeTasker.IntegrationTests.Api;

/// <summary>The status page in a real browser: Debian's chromium, headless.</summary>
[Collection(ApiCollection.Name)]
public sealed class StatusPageTests(ApiFixture fixture)
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task StatusPage_InHeadlessChromium_ShowsASubmittedTaskTurningSuccess()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: scripts/setup.sh installs Debian's chromium. These tests are never skipped.");
        await using var api = await ApiUnderTest.StartAsync(ApiUnderTest.Settings(fixture, ApiUnderTest.SqlitePath(fixture)));
        var key = await api.CreateClientAsync("viewer");
        var (status, link, r) = await api.SendAsync(HttpMethod.Get, "/v1/view-url", key);
        r.Dispose();
        Assert.Equal(HttpStatusCode.OK, status);
        var url = new Uri(api.Http.BaseAddress!, link!["url"]!.GetValue<string>());

        var taskId = await api.SubmitDemoAsync(key, "page-" + Guid.NewGuid().ToString("N")[..8]);
        var before = await DumpDomAsync(url);
        Assert.Contains(taskId, before, StringComparison.Ordinal);
        Assert.Matches("class=\"s (queued|running|success)\"", before);

        await api.WaitForStateAsync(key, taskId, "success", TimeSpan.FromSeconds(90));
        var after = await DumpDomAsync(url);
        Assert.Contains("class=\"s success\">success</span>", after, StringComparison.Ordinal);
        Assert.Matches(@"\d ms</td>", after);
        Assert.Matches(@"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</td>", after);
        Assert.Matches(@"success 1</a>", after);

        // The id opens the task's detail: exit code, stdout head, the trace summary field by field.
        var href = System.Text.RegularExpressions.Regex.Match(after, "<a href=\"(/view/[^\"]+/tasks/[^\"]+)\">" + taskId + "</a>");
        Assert.True(href.Success, "no link to the task's detail in the list");
        var detailUrl = new Uri(api.Http.BaseAddress!, System.Net.WebUtility.HtmlDecode(href.Groups[1].Value));
        var detail = await DumpDomAsync(detailUrl);
        Assert.Contains("<dt>exit code</dt><dd>0</dd>", detail, StringComparison.Ordinal);
        Assert.Contains("Average fortune", detail, StringComparison.Ordinal);
        Assert.Contains("<dt>dataRead</dt>", detail, StringComparison.Ordinal);

        var screenshot = Path.Combine(Path.GetTempPath(), "tasker-api-status-page.png");
        File.Delete(screenshot);
        await RunChromiumAsync($"--screenshot={screenshot}", "--window-size=1200,800", url.ToString());
        var png = await File.ReadAllBytesAsync(screenshot);
        Assert.True(png.Length > 5000 && png[1] == (byte)'P' && png[2] == (byte)'N' && png[3] == (byte)'G', $"no PNG at {screenshot}");
        var detailShot = Path.Combine(Path.GetTempPath(), "tasker-api-task-detail.png");
        File.Delete(detailShot);
        await RunChromiumAsync($"--screenshot={detailShot}", "--window-size=1200,900", detailUrl.ToString());
        var detailPng = await File.ReadAllBytesAsync(detailShot);
        Assert.True(detailPng.Length > 5000 && detailPng[1] == (byte)'P' && detailPng[2] == (byte)'N' && detailPng[3] == (byte)'G', $"no PNG at {detailShot}");

        // A client's link does not open another client's task.
        var other = await api.CreateClientAsync("viewer-2");
        var (_, otherLink, olr) = await api.SendAsync(HttpMethod.Get, "/v1/view-url", other);
        olr.Dispose();
        using var foreign = await api.Http.GetAsync(otherLink!["url"]!.GetValue<string>() + detailUrl.AbsolutePath[detailUrl.AbsolutePath.IndexOf("/tasks/", StringComparison.Ordinal)..]);
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);

        // A forged or foreign link shows nothing.
        using var forged = await api.Http.GetAsync("/view/" + "YWRtaW4.0000000000000000000000000000000000000000");
        Assert.Equal(HttpStatusCode.NotFound, forged.StatusCode);
        Assert.NotNull(JsonNode.Parse(await forged.Content.ReadAsStringAsync())!["error"]);
    }

    private static Task<string> DumpDomAsync(Uri url) => RunChromiumAsync("--dump-dom", url.ToString());

    private static async Task<string> RunChromiumAsync(params string[] arguments)
    {
        var profile = Directory.CreateTempSubdirectory("tasker-chromium-").FullName;
        try
        {
            var info = new ProcessStartInfo(Chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + profile })
            {
                info.ArgumentList.Add(a);
            }

            foreach (var a in arguments)
            {
                info.ArgumentList.Add(a);
            }

            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("chromium did not finish within 60 s: " + await error);
            }

            Assert.True(process.ExitCode == 0, $"chromium exited {process.ExitCode}: {await error}");
            return await output;
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }
}
