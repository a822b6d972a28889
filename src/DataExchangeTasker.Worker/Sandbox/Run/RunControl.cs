namespace DataExchangeTasker.Sandbox.Run;

/// <summary>What the owner of a run can ask of it while it runs.</summary>
/// <param name="StopRequested">Completes when the code must stop now (a cancel): it is stopped as at the timeout, and the output so far kept.</param>
/// <param name="Started">Called once the container runs the code.</param>
internal sealed record RunControl(Task StopRequested, Action? Started)
{
    /// <summary>No stop request, no callback.</summary>
    public static RunControl None { get; } = new(new TaskCompletionSource().Task, null);
}
