namespace DataExchangeTasker.Configuration;

/// <summary>How the tasker takes cancels and reports progress.</summary>
/// <param name="CancelMemory">How long a cancel is remembered (<c>TASKER_CANCEL_MEMORY</c>).</param>
/// <param name="Progress">Publish progress messages to <c>tasker_progress</c> (<c>TASKER_PROGRESS</c>).</param>
/// <param name="DoneFormat"><c>v1</c> or <c>v0.2</c> (<c>TASKER_DONE_FORMAT</c>).</param>
public sealed record ControlOptions(TimeSpan CancelMemory, bool Progress, string DoneFormat)
{
    /// <summary>One day of cancel memory, no progress, v1 done messages.</summary>
    public static ControlOptions Default { get; } = new(TimeSpan.FromDays(1), false, "v1");

    /// <summary>True when done messages take the original's v0.2 shape.</summary>
    public bool DoneV02 => DoneFormat == "v0.2";
}
