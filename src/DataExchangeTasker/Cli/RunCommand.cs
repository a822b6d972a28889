using System.CommandLine;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Hosting;
using DataExchangeTasker.Images;
using DataExchangeTasker.Messaging;
using Serilog;

namespace DataExchangeTasker.Cli;

/// <summary><c>tasker run</c> (the default): the worker; with <c>--check</c>, validate and probe dependencies, then exit.</summary>
internal static class RunCommand
{
    /// <summary>Adds the worker's options and action to <paramref name="command"/> (used for both root and <c>run</c>).</summary>
    public static void Configure(Command command)
    {
        var source = new SettingsSource();
        source.AddTo(command, Settings.All);
        var check = new Option<bool>("--check") { Description = "Validate the configuration, connect to the broker and the engine, check the runner image, print the findings and exit 0 or 1." };
        command.Options.Add(check);
        command.SetAction((result, _) => RunAsync(source.Read(result), result.GetValue(check)));
    }

    private static async Task<int> RunAsync(Dictionary<string, string?> values, bool check)
    {
        TaskerOptions options;
        try
        {
            options = TaskerOptionsLoader.Load(values);
        }
        catch (ConfigurationException e)
        {
            await Console.Error.WriteLineAsync(e.Message).ConfigureAwait(false);
            return check ? ExitCodes.Error : ExitCodes.InvalidConfiguration;
        }

        var log = LoggerFactory.Create(options.LogFormat, options.LogLevel);
        try
        {
            foreach (var unknown in TaskerOptionsLoader.UnknownVariables(values.Keys))
            {
                log.Warning("Unknown setting {Name:l} is ignored (a typo?). Known settings: see tasker run --help", unknown);
            }

            if (check)
            {
                return await DependencyCheck.RunAsync(options, Console.Out, CancellationToken.None).ConfigureAwait(false);
            }

            using var signals = new ShutdownSignals();
            log.Information("DataExchange Tasker {Version:l} as {TaskerId:l}: code {CodeRoot:l}, data {DataRoot:l}, image {Image:l}, broker {Broker:l}",
                ThisAssembly.Version, options.TaskerId, options.Sandbox.CodeRoot, options.Sandbox.DataRoot, options.Sandbox.Image, AmqpConnector.Describe(options.Messaging));
            await new TaskerHost(options, log).RunAsync(signals.Stopping, signals.Abort).ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        catch (ConfigurationException e)
        {
            log.Fatal("{Error:l}", e.Message);
            return ExitCodes.InvalidConfiguration;
        }
        catch (ImagePinningException e)
        {
            log.Fatal("{Error:l}", e.Message);
            return ExitCodes.InvalidConfiguration;
        }
        catch (TopologyMismatchException e)
        {
            log.Fatal("{Error}", e.Message);
            return ExitCodes.InvalidConfiguration;
        }
        catch (BrokerDeclarationException e)
        {
            log.Fatal("{Error:l}", e.Message);
            return ExitCodes.Error;
        }
        catch (Exception e)
        {
            log.Fatal(e, "The tasker stopped because of an unexpected error");
            return ExitCodes.Error;
        }
        finally
        {
            await ((IAsyncDisposable)log).DisposeAsync().ConfigureAwait(false);
        }
    }
}
