using System.CommandLine;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Docker;
using DataExchangeTasker.Hosting;
using DataExchangeTasker.Sandbox.Claims;
using DataExchangeTasker.Sandbox.Run;
using DataExchangeTasker.Sandbox.Sweep;

namespace DataExchangeTasker.Cli;

/// <summary><c>tasker cleanup</c>: removes task containers that taskers on this host left behind.</summary>
internal static class CleanupCommand
{
    /// <summary>The command.</summary>
    public static Command Create()
    {
        var source = new SettingsSource();
        var command = new Command("cleanup", "Remove task containers (stopped or kept alive) that taskers on this host left. " +
            "Running tasks are left alone unless --all is given; whatever belongs to a tasker running on TASKER_WORK_ROOT is always left alone.");
        source.AddTo(command, [Settings.DockerHost, Settings.WorkRoot]);
        var all = new Option<bool>("--all") { Description = "Also kill and remove containers of tasks still running (only when no tasker runs)." };
        command.Options.Add(all);
        command.SetAction(async (result, ct) =>
        {
            try
            {
                var (endpoint, workRoot) = TaskerOptionsLoader.LoadCleanup(source.Read(result));
                await using var docker = new DockerEngine(endpoint);
                var everything = result.GetValue(all);
                // A live tasker (its lease held) owns its containers in every state (created, running, just exited and
                // not yet answered) : its own sweep removes what it leaves.
                var kept = new List<LeftoverContainer>();
                var swept = await new LeftoverSweep(docker).SweepAsync(
                    owner: null,
                    c =>
                    {
                        if (c.Owner is { } owner && TaskerLease.IsHeld(workRoot, owner))
                        {
                            kept.Add(c);
                            return false;
                        }

                        return !c.Running || c.KeptAlive || everything;
                    },
                    _ => false, ct).ConfigureAwait(false);
                foreach (var c in kept)
                {
                    Console.WriteLine($"kept container {ContainerIds.Shorten(c.Id)} (task {c.TaskId}): owned by running tasker {c.Owner}");
                }

                foreach (var c in swept.Containers)
                {
                    Console.WriteLine($"removed container {ContainerIds.Shorten(c.Id)} (task {c.TaskId})");
                }

                var removed = swept.Count;
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
