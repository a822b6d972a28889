using DataExchangeTasker.Api.Store;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Hosting;
using DataExchangeTasker.Messaging;
using RabbitMQ.Client.Exceptions;

namespace DataExchangeTasker.Api;

/// <summary>Runs <c>tasker api</c> until SIGTERM/SIGINT.</summary>
internal static class ApiRunner
{
    /// <summary>Loads the settings, starts the <see cref="ApiHost"/>, waits for a signal, stops it; returns the exit code.</summary>
    public static async Task<int> RunAsync(Dictionary<string, string?> values)
    {
        ApiOptions options;
        try
        {
            options = ApiOptionsLoader.Load(values);
        }
        catch (ConfigurationException e)
        {
            await Console.Error.WriteLineAsync(e.Message).ConfigureAwait(false);
            return ExitCodes.InvalidConfiguration;
        }

        var log = LoggerFactory.Create(options.LogFormat, options.LogLevel);
        try
        {
            using var signals = new ShutdownSignals();
            await using (var host = await ApiHost.StartAsync(options, log, signals.Stopping).ConfigureAwait(false))
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, signals.Stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    log.Information("Stopping tasker api");
                }
            }

            return ExitCodes.Ok;
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is TopologyMismatchException or ConfigurationException)
        {
            log.Fatal("{Error:l}", e.Message);
            return ExitCodes.InvalidConfiguration;
        }
        catch (Exception e) when (e is StoreUnavailableException or BrokerUnreachableException or IOException)
        {
            log.Fatal("tasker api could not start: {Error:l}", e.Message);
            return ExitCodes.Error;
        }
        finally
        {
            await ((IAsyncDisposable)log).DisposeAsync().ConfigureAwait(false);
        }
    }
}
