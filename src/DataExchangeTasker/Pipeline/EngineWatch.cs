using DataExchangeTasker.Docker;
using DataExchangeTasker.Health;
using DataExchangeTasker.Messaging;
using Serilog;

namespace DataExchangeTasker.Pipeline;

/// <summary>
/// Pings the engine and checks the runner image; while either is missing the tasker stops taking tasks
/// (they stay queued for it or for other taskers) and resumes by itself when both are back.
/// </summary>
public sealed class EngineWatch(IDockerEngine docker, string image, TodoConsumer consumer, AmqpConnector connector, HealthState health, ILogger log)
{
    /// <summary>Time between checks.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Checks once: reports health and pauses or resumes intake. Returns true when tasks can run.</summary>
    public async Task<bool> CheckAsync(CancellationToken cancellationToken)
    {
        bool ok;
        try
        {
            var version = await docker.PingAsync(cancellationToken).ConfigureAwait(false);
            health.Report(HealthState.Engine, true, "API " + version);
            var found = await docker.InspectImageAsync(image, cancellationToken).ConfigureAwait(false);
            health.Report(HealthState.Image, found is not null, found is null ? $"image {image} not found; build it with scripts/setup.sh" : image);
            ok = found is not null;
        }
        catch (DockerApiException e)
        {
            health.Report(HealthState.Engine, false, e.Message);
            ok = false;
        }

        health.Report(HealthState.Broker, connector.IsConnected, connector.IsConnected ? "connected" : "disconnected");
        if (health.Draining)
        {
            return ok;
        }

        if (!ok && consumer.IsConsuming)
        {
            log.Warning("Docker engine or runner image unavailable; pausing intake until it is back");
            await consumer.PauseAsync(cancellationToken).ConfigureAwait(false);
        }
        else if (ok && !consumer.IsConsuming && connector.IsConnected)
        {
            await consumer.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        health.Report(HealthState.Consumer, consumer.IsConsuming, consumer.IsConsuming ? "consuming" : "paused");
        return ok;
    }

    /// <summary>Checks every <see cref="Interval"/> until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await CheckAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.Warning("Health check failed: {Error}", e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
