using DataExchangeTasker.Configuration;
using DataExchangeTasker.Docker;
using DataExchangeTasker.Hosting;
using DataExchangeTasker.Messaging;
using RabbitMQ.Client.Exceptions;

namespace DataExchangeTasker.Cli;

/// <summary><c>tasker run --check</c>: one line per dependency, <c>ok</c> or <c>FAIL</c> with the reason.</summary>
internal static class DependencyCheck
{
    /// <summary>Probes broker, engine, image and folders; returns 0 when all are fine.</summary>
    public static async Task<int> RunAsync(TaskerOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        var failures = 0;
        async Task Line(string what, Func<Task<string>> probe)
        {
            try
            {
                await output.WriteLineAsync($"ok    {what}: {await probe().ConfigureAwait(false)}").ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failures++;
                await output.WriteLineAsync($"FAIL  {what}: {e.Message}").ConfigureAwait(false);
            }
        }

        await output.WriteLineAsync($"ok    configuration: tasker id {options.TaskerId}, concurrency {options.Concurrency}").ConfigureAwait(false);
        await Line("broker " + AmqpConnector.Describe(options.Messaging), async () =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await using var connector = new AmqpConnector(options.Messaging, "dataexchange-tasker-check", Serilog.Core.Logger.None);
            try
            {
                var connection = await connector.ConnectAsync(timeout.Token, attempts: 1).ConfigureAwait(false);
                var version = connection.ServerProperties is { } props && props.TryGetValue("version", out var v) && v is byte[] bytes
                    ? System.Text.Encoding.UTF8.GetString(bytes)
                    : "?";
                return $"connected to RabbitMQ {version}";
            }
            catch (BrokerUnreachableException e)
            {
                throw new InvalidOperationException($"cannot connect to TASKER_AMQP_URI={AmqpConnector.Describe(options.Messaging)}: {e.InnerException?.Message ?? e.Message}", e);
            }
        }).ConfigureAwait(false);

        await using var docker = new DockerEngine(options.DockerHost);
        await Line("engine " + options.DockerHost, async () =>
        {
            var version = await docker.GetVersionAsync(cancellationToken).ConfigureAwait(false);
            return $"Docker {version.Version}, API {docker.ApiVersion}";
        }).ConfigureAwait(false);
        await Line("runner image " + options.Sandbox.Image, async () =>
        {
            var image = await docker.InspectImageAsync(options.Sandbox.Image, cancellationToken).ConfigureAwait(false);
            return image is null ? throw new InvalidOperationException("not found: build it with scripts/setup.sh") : image.ID;
        }).ConfigureAwait(false);
        var (witness, witnessFailed, witnessWarning) = Witness.WitnessStartup.Probe(options.Witness, options.Sandbox);
        failures += witnessFailed ? 1 : 0;
        await output.WriteLineAsync($"{(witnessFailed ? "FAIL" : witnessWarning ? "WARN" : "ok  ")}  witness: {witness}").ConfigureAwait(false);
        await Line("requirements.txt packages", () => Dependencies.PipNetworkCheck.CheckAsync(docker, options.Dependencies, cancellationToken)).ConfigureAwait(false);
        foreach (var (what, folder) in new[] { ("state folder", options.Sandbox.WorkRoot), ("results root", options.Sandbox.ResultsRoot), ("snapshot root", options.Sandbox.SnapshotRoot), ("requirements cache", options.Dependencies.Root) })
        {
            await Line($"{what} {folder}", () =>
            {
                Hosting.TaskerHost.PrepareFolders(options.Sandbox, options.Dependencies);
                var probe = Path.Combine(folder, ".check-" + Environment.ProcessId);
                File.WriteAllText(probe, "");
                File.Delete(probe);
                return Task.FromResult($"writable, mode {Convert.ToString((int)File.GetUnixFileMode(folder), 8)}");
            }).ConfigureAwait(false);
        }

        return failures == 0 ? ExitCodes.Ok : ExitCodes.Error;
    }
}
