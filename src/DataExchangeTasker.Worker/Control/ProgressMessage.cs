using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Control;

/// <summary>A progress message on <c>tasker_progress</c> (<c>TASKER_PROGRESS=true</c>).</summary>
/// <param name="TaskId">The start message's taskId.</param>
/// <param name="Step">The step's name (<see cref="ProgressStep"/>).</param>
/// <param name="StepIndex">The step's index, 0 to 3.</param>
/// <param name="At">When the step began.</param>
internal sealed record ProgressMessage(string TaskId, string Step, int StepIndex, DateTimeOffset At);
