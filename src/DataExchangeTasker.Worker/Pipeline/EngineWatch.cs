using DataExchangeTasker.Docker;
using DataExchangeTasker.Health;
using DataExchangeTasker.Images;
using Serilog;

namespace DataExchangeTasker.Pipeline;

/// <summary>
/// Pings the engine and checks the runner image (there, and with a <see cref="DefaultImageProtocol"/> its supervisor
/// label), and (with a <see cref="ResultsRootProbe"/>) that the results root can
/// be written, and reports them to <see cref="HealthState"/>. It decides nothing: the intake owner
/// (<see cref="Messaging.IntakeController"/>) reads the report and pauses or resumes intake.
/// </summary>
internal sealed class EngineWatch(IDockerEngine docker, string image, HealthState health, TaskMetrics metrics, ILogger log, ResultsRootProbe? results = null, DefaultImageProtocol? protocol = null)
{
    private readonly Lock _gate = new();
    private bool? _lastAvailable;

    /// <summary>Time between checks (set by the composition root).</summary>
    public required TimeSpan Interval { get; init; }

    /// <summary>The clock <see cref="Interval"/> is measured on (the composition root's).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Raised when the engine (with the runner image) became available or unavailable.</summary>
    public event Action? AvailabilityChanged;

    /// <summary>Checks once and reports. Returns true when tasks can run.</summary>
    public async Task<bool> CheckAsync(CancellationToken cancellationToken)
    {
        bool ok;
        try
        {
            var version = await docker.PingAsync(cancellationToken).ConfigureAwait(false);
            health.Report(HealthState.Engine, true, "API " + version);
            var labels = await docker.ImageLabelsAsync(image, cancellationToken).ConfigureAwait(false);
            var found = labels is not null;
            health.Report(HealthState.Image, found, found ? image : $"image {image} not found; build it with scripts/setup.sh");
            if (labels is not null && protocol?.Report(labels) == true)
            {
                // Intake goes on (nothing is lost: each task gets a rejection that says this); the operator must rebuild.
                if (protocol.Mismatch is { } mismatch)
                {
                    log.Error("Tasks for the default runner image are rejected: {Mismatch:l}", mismatch);
                }
                else
                {
                    log.Information("The default runner image {Image:l} speaks this tasker's supervisor protocol again", image);
                }
            }

            ok = found;
        }
        catch (DockerApiException e)
        {
            health.Report(HealthState.Engine, false, e.Message);
            ok = false;
        }

        if (results is not null)
        {
            var failure = await results.ProbeAsync(cancellationToken).ConfigureAwait(false);
            if (failure is not null && health.IsNotDown(HealthState.Results))
            {
                log.Error("Not taking tasks: {Error:l}", failure);
            }
            else if (failure is null && !health.IsNotDown(HealthState.Results))
            {
                log.Information("The results root {Root:l} can be written again", results.Root);
            }

            health.Report(HealthState.Results, failure is null, failure ?? results.Root);
            ok &= failure is null;
        }

        Changed(ok, engineLost: !health.IsUp(HealthState.Engine));
        return ok;
    }

    /// <summary>
    /// A task found the engine unreachable before the next check did: report it down now, so intake pauses at once;
    /// the next successful check reports it back.
    /// </summary>
    public void ReportUnreachable(string error)
    {
        health.Report(HealthState.Engine, false, error);
        Changed(false, engineLost: true);
    }

    private void Changed(bool available, bool engineLost)
    {
        lock (_gate)
        {
            if (_lastAvailable == available)
            {
                return;
            }

            if (!available && engineLost)
            {
                metrics.EngineOutage();
            }

            _lastAvailable = available;
        }

        AvailabilityChanged?.Invoke();
    }

    /// <summary>Checks every <see cref="Interval"/> until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await CheckAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    // Whatever it was (an operation cancelled by someone else included), the watch must keep watching.
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
