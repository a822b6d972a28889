using System.Diagnostics;
using System.Globalization;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// Records the taskId of every container <c>start</c> of one tasker while it runs, by following
/// <c>docker events</c> (the engine keeps only its last 256 events, so counting afterwards would lose some).
/// </summary>
public sealed class DockerEvents : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _taskIds = [];
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DockerEvents(Process process)
    {
        _process = process;
    }

    /// <summary>Starts following container starts of containers owned by <paramref name="owner"/> on the engine at <paramref name="dockerHost"/> (default: the CLI's).</summary>
    public static DockerEvents FollowStarts(string owner, string? dockerHost = null)
    {
        var info = new ProcessStartInfo(File.Exists("/usr/bin/docker") ? "/usr/bin/docker" : "docker")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (dockerHost is not null)
        {
            info.ArgumentList.Add("-H");
            info.ArgumentList.Add(dockerHost);
        }

        foreach (var arg in new[]
        {
            // A second of history covers starts that happen while the CLI connects.
            "events", "--since", (DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1).ToString(CultureInfo.InvariantCulture),
            "--filter", "type=container", "--filter", "event=start",
            "--filter", "label=dataexchange.tasker.owner=" + owner,
            "--format", "{{index .Actor.Attributes \"dataexchange.tasker.task-id\"}}",
        })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        var events = new DockerEvents(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                events._ended.TrySetResult();
            }
            else if (e.Data.Trim().Length > 0)
            {
                lock (events._taskIds)
                {
                    events._taskIds.Add(e.Data.Trim());
                }
            }
        };
        process.BeginOutputReadLine();
        return events;
    }

    /// <summary>The taskIds started so far (one entry per container start).</summary>
    public IReadOnlyList<string> TaskIds
    {
        get
        {
            lock (_taskIds)
            {
                return [.. _taskIds];
            }
        }
    }

    /// <summary>Waits until <paramref name="count"/> starts were seen (events arrive asynchronously), then returns them.</summary>
    public async Task<IReadOnlyList<string>> WaitForAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (TaskIds.Count < count && DateTime.UtcNow < deadline && !_process.HasExited)
        {
            await Task.Delay(50);
        }

        return TaskIds;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
