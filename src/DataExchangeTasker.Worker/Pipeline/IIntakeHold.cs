namespace DataExchangeTasker.Pipeline;

/// <summary>Stops taking start messages while the Docker engine cannot be reached.</summary>
internal interface IIntakeHold
{
    /// <summary>
    /// Reports the engine unreachable (<paramref name="reason"/>) and returns once intake is paused, or once it is
    /// clear that it cannot be paused now (then the intake owner keeps trying on its own). Never throws but for
    /// <paramref name="cancellationToken"/>.
    /// </summary>
    Task HoldForEngineAsync(string reason, CancellationToken cancellationToken);
}
