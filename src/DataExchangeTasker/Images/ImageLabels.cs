namespace DataExchangeTasker.Images;

/// <summary>
/// Labels a runner image carries to say how code is started in it (set in its Dockerfile, read by
/// <see cref="ImagePinner"/> from the image inspect). An image without them is a Python runner.
/// </summary>
public static class ImageLabels
{
    /// <summary>The file a code folder must hold, e.g. <c>run.py</c> or <c>run.R</c>.</summary>
    public const string Entry = "dataexchange.tasker.entry";

    /// <summary>The program the supervisor runs the entry with, e.g. <c>python</c> or <c>Rscript</c> (TASKER_INTERPRETER).</summary>
    public const string Interpreter = "dataexchange.tasker.interpreter";

    /// <summary>Entry of an image without the <see cref="Entry"/> label.</summary>
    public const string DefaultEntry = "run.py";

    /// <summary>Interpreter of an image without the <see cref="Interpreter"/> label.</summary>
    public const string DefaultInterpreter = "python";
}
