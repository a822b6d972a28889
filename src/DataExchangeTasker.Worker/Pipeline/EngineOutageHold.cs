using DataExchangeTasker.Messaging;
using Serilog;

namespace DataExchangeTasker.Pipeline;

/// <summary>
/// Pauses intake when a task found the engine unreachable: the engine watch reports it down, and the intake owner
/// cancels the subscription before the task's message is put back (else the broker would hand it straight back).
/// </summary>
internal sealed class EngineOutageHold(EngineWatch watch, IntakeController intake, ILogger log) : IIntakeHold
{
    /// <summary>How long pausing may take before the message is put back anyway (set by the composition root).</summary>
    public required TimeSpan Deadline { get; init; }

    /// <summary>The clock <see cref="Deadline"/> is measured on (the composition root's).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <inheritdoc />
    public async Task HoldForEngineAsync(string reason, CancellationToken cancellationToken)
    {
        watch.ReportUnreachable(reason);
        using var timer = new CancellationTokenSource(Deadline, Time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            await intake.ReconcileAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // The broker is in trouble too; the intake owner keeps deciding on its own.
            log.Warning("Could not pause intake for the engine outage: {Error}", e.Message);
        }
    }
}
