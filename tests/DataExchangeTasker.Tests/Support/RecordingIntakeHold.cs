using DataExchangeTasker.Pipeline;

namespace DataExchangeTasker.Tests.Support;

/// <summary>An intake hold that records that intake was paused for the engine.</summary>
public sealed class RecordingIntakeHold(EventLog log) : IIntakeHold
{
    /// <inheritdoc />
    public Task HoldForEngineAsync(string reason, CancellationToken cancellationToken)
    {
        log.Add("hold intake");
        return Task.CompletedTask;
    }
}
