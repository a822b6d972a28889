namespace DataExchangeTasker.Images;

/// <summary>
/// Labels a runner image carries to say how code is started in it (set in its Dockerfile, read by
/// <see cref="ImagePinner"/> from the image inspect). An image without them is a Python runner.
/// </summary>
internal static class ImageLabels
{
    /// <summary>The file a code folder must hold, e.g. <c>run.py</c> or <c>run.R</c>.</summary>
    public const string Entry = "dataexchange.tasker.entry";

    /// <summary>The program the supervisor runs the entry with, e.g. <c>python</c> or <c>Rscript</c> (TASKER_INTERPRETER).</summary>
    public const string Interpreter = "dataexchange.tasker.interpreter";

    /// <summary>
    /// The version of the protocol between the tasker and the image's supervisor (<c>supervise.sh</c>): how results
    /// leave the container, which refusals its tracer injects. A tasker runs no code in an image that does not carry
    /// <see cref="SupervisorVersion"/> here (<see cref="SupervisorProtocol"/>).
    /// </summary>
    public const string Supervisor = "dataexchange.tasker.supervisor";

    /// <summary>The <see cref="Supervisor"/> value this tasker speaks: 2, the results channel on the attach stream.</summary>
    public const string SupervisorVersion = "2";

    /// <summary>Entry of an image without the <see cref="Entry"/> label.</summary>
    public const string DefaultEntry = "run.py";

    /// <summary>Interpreter of an image without the <see cref="Interpreter"/> label.</summary>
    public const string DefaultInterpreter = "python";
}
