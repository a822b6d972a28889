using System.Diagnostics;
using System.Globalization;
using DataExchangeTasker.Dependencies;
using DataExchangeTasker.Docker;
using Docker.DotNet.Models;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// Follows <c>docker events</c> for the preparation containers one tasker creates, and inspects each through the
/// engine as soon as it is created (it exists until the tasker has copied the installed packages out), so a test
/// can both count installs and check what the container could reach.
/// </summary>
public sealed class PreparationWatch : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<(string Id, Task<ContainerInspectResponse?> Inspection)> _inspections = [];

    private PreparationWatch(Process process)
    {
        _process = process;
    }

    /// <summary>Starts following creates of preparation containers owned by <paramref name="owner"/>.</summary>
    public static PreparationWatch Follow(DockerEngine docker, string owner)
    {
        var info = new ProcessStartInfo(File.Exists("/usr/bin/docker") ? "/usr/bin/docker" : "docker")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[]
        {
            "events", "--since", (DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 1).ToString(CultureInfo.InvariantCulture),
            "--filter", "type=container", "--filter", "event=create",
            "--filter", "label=dataexchange.tasker.owner=" + owner,
            "--filter", $"label={PreparationSpecFactory.RoleLabel}=prepare",
            "--format", "{{.ID}}",
        })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        var watch = new PreparationWatch(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } id)
            {
                lock (watch._inspections)
                {
                    watch._inspections.Add((id.Trim(), docker.InspectContainerAsync(id.Trim(), CancellationToken.None)));
                }
            }
        };
        process.BeginOutputReadLine();
        return watch;
    }

    /// <summary>
    /// The preparation containers created before this call, with their inspections (null where the container was
    /// already gone). The CLI reports events asynchronously but in order, so a marker container created now (with the
    /// same labels, never started) is awaited first: once it is seen, every earlier create was seen too.
    /// </summary>
    public async Task<IReadOnlyList<ContainerInspectResponse?>> CreatedAsync(DockerEngine docker, string owner, string image)
    {
        ArgumentNullException.ThrowIfNull(docker);
        var marker = await docker.CreateContainerAsync(null, new CreateContainerParameters
        {
            Image = image,
            Cmd = ["true"],
            Labels = new Dictionary<string, string> { ["dataexchange.tasker.owner"] = owner, [PreparationSpecFactory.RoleLabel] = "prepare", ["dataexchange.tasker.test-marker"] = "1" },
        }, CancellationToken.None);
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!Seen(marker))
            {
                Assert.True(DateTime.UtcNow < deadline && !_process.HasExited, "docker events did not report the marker container within 30 s");
                await Task.Delay(50);
            }
        }
        finally
        {
            await docker.RemoveContainerAsync(marker, CancellationToken.None);
        }

        List<Task<ContainerInspectResponse?>> earlier;
        lock (_inspections)
        {
            earlier = [.. _inspections.Where(i => i.Id != marker).Select(i => i.Inspection)];
        }

        return await Task.WhenAll(earlier);
    }

    private bool Seen(string id)
    {
        lock (_inspections)
        {
            return _inspections.Any(i => id.StartsWith(i.Id, StringComparison.Ordinal) || i.Id.StartsWith(id, StringComparison.Ordinal));
        }
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
