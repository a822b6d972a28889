using System.CommandLine;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Docker;
using DataExchangeTasker.Sandbox;

namespace DataExchangeTasker.Cli;

/// <summary><c>tasker cleanup</c>: removes task containers and work folders that taskers on this host left behind.</summary>
public static class CleanupCommand
{
    /// <summary>The command.</summary>
    public static Command Create()
    {
        var source = new SettingsSource();
        var command = new Command("cleanup", "Remove task containers (stopped or kept alive) and work folders that taskers on this host left. " +
            "Running tasks are left alone unless --all is given.");
        source.AddTo(command, [Settings.DockerHost, Settings.WorkRoot]);
        var all = new Option<bool>("--all") { Description = "Also kill and remove containers of tasks still running (only when no tasker runs)." };
        command.Options.Add(all);
        command.SetAction(async (result, ct) =>
        {
            try
            {
                var (endpoint, workRoot) = TaskerOptionsLoader.LoadCleanup(source.Read(result));
                await using var docker = new DockerEngine(endpoint);
                var containers = await docker.ListContainersAsync(new Dictionary<string, string?> { [ContainerLabels.Managed] = null }, ct).ConfigureAwait(false);
                var removed = 0;
                var live = new HashSet<string?>(StringComparer.Ordinal);
                foreach (var c in containers)
                {
                    var keptAlive = c.Labels?.ContainsKey(ContainerLabels.KeepUntil) == true;
                    if (c.State == "running" && !keptAlive && !result.GetValue(all))
                    {
                        // Left running, so its work folder is still in use.
                        live.Add(c.Label(ContainerLabels.WorkFolder));
                        continue;
                    }

                    await docker.RemoveContainerAsync(c.ID, ct).ConfigureAwait(false);
                    if (c.Label(ContainerLabels.WorkFolder) is { } folder && Path.GetDirectoryName(folder) == workRoot)
                    {
                        new TaskSite(Path.GetFileName(folder), new WorkFolder(folder)).DeleteFiles();
                    }

                    Console.WriteLine($"removed container {SandboxRunner.ShortId(c.ID)} (task {c.Label(ContainerLabels.TaskId)})");
                    removed++;
                }

                if (Directory.Exists(workRoot))
                {
                    foreach (var dir in Directory.EnumerateDirectories(workRoot, "tasker-*").Where(d => !live.Contains(d)))
                    {
                        new TaskSite(Path.GetFileName(dir), new WorkFolder(dir)).DeleteFiles();
                        Console.WriteLine($"removed work folder {dir}");
                        removed++;
                    }
                }

                Console.WriteLine($"{removed} item(s) removed");
                return ExitCodes.Ok;
            }
            catch (ConfigurationException e)
            {
                await Console.Error.WriteLineAsync(e.Message).ConfigureAwait(false);
                return ExitCodes.InvalidConfiguration;
            }
            catch (DockerApiException e)
            {
                await Console.Error.WriteLineAsync($"tasker cleanup: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Error;
            }
        });
        return command;
    }
}
