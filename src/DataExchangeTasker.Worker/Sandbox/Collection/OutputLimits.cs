namespace DataExchangeTasker.Sandbox.Collection;

/// <summary>How much of a task's <c>/tmp/out</c> the tasker stores.</summary>
/// <param name="MaxFiles">Files kept (<c>TASKER_OUTPUT_FILES_LIMIT</c>).</param>
/// <param name="MaxTotalBytes">Bytes kept over all files (<c>TASKER_WORK_SIZE_LIMIT</c>).</param>
internal sealed record OutputLimits(int MaxFiles, long MaxTotalBytes);
