using System.Diagnostics;
using System.Globalization;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>Counts engine events (e.g. container starts per task) between two times, through the docker CLI.</summary>
public static class DockerEvents
{
    /// <summary>The taskId label of every container <c>start</c> event of containers owned by <paramref name="owner"/>.</summary>
    public static async Task<IReadOnlyList<string>> StartedTaskIdsAsync(string owner, DateTimeOffset since, DateTimeOffset until)
    {
        var info = new ProcessStartInfo(File.Exists("/usr/bin/docker") ? "/usr/bin/docker" : "docker")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[]
        {
            "events", "--since", since.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            "--until", (until.ToUnixTimeSeconds() + 1).ToString(CultureInfo.InvariantCulture),
            "--filter", "type=container", "--filter", "event=start",
            "--filter", "label=dataexchange.tasker.owner=" + owner,
            "--format", "{{index .Actor.Attributes \"dataexchange.tasker.task-id\"}}",
        })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, "docker events failed: " + await process.StandardError.ReadToEndAsync());
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
