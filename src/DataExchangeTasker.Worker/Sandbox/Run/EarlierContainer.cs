using Docker.DotNet.Models;

namespace DataExchangeTasker.Sandbox.Run;

/// <summary>
/// A task's container that an earlier delivery (or attempt) created on this host, as <see cref="SandboxRunner.FindAsync"/>
/// found it: whether its code was started decides between adopting it and starting afresh.
/// </summary>
internal sealed class EarlierContainer
{
    internal EarlierContainer(ContainerInspectResponse inspection)
    {
        Inspection = inspection;
    }

    /// <summary>The engine's id of the container.</summary>
    public string Id => Inspection.ID;

    /// <summary>
    /// The container was started (it runs, or ran, the code): adopt it, never run the code again. False: created and
    /// never started, so the code has not run.
    /// </summary>
    public bool Started => Inspection.State?.Status != "created";

    /// <summary>The engine's word for its state (<c>running</c>, <c>exited</c>, …), for logs.</summary>
    public string? State => Inspection.State?.Status;

    /// <summary>The engine's answer, for the runner that adopts it.</summary>
    internal ContainerInspectResponse Inspection { get; }
}
