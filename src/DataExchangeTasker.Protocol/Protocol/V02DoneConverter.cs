namespace DataExchangeTasker.Protocol;

/// <summary>Turns a v1 done message, or a step, into the original's v0.2 done-queue shape.</summary>
internal static class V02DoneConverter
{
    /// <summary>The v0.2 final state of <paramref name="done"/>.</summary>
    public static V02Message From(DoneMessage done)
    {
        ArgumentNullException.ThrowIfNull(done);
        var output = done.ContainerOutput is { } c ? new V02Output(c.Stdout, c.Stderr, c.Strace) : new V02Output("", "", "");
        var state = done.State switch
        {
            TaskStates.Success => new V02State("Success") { Output = output },
            TaskStates.Rejected => new V02State("Rejected") { Reason = done.Output },
            _ => new V02State("Error")
            {
                Message = done.Output,
                Output = output,
                FailedStep = new V02Step((done.ContainerOutput is null ? ProgressStep.CreatingContainer : ProgressStep.ExecutingAlgorithm).ToString()),
            },
        };
        return new V02Message(done.TaskId, state);
    }

    /// <summary>The v0.2 Running state of <paramref name="step"/>.</summary>
    public static V02Message Running(string taskId, ProgressStep step) =>
        new(taskId, new V02State("Running") { CurrentStepIndex = (int)step, CurrentStep = new V02Step(step.ToString()) });
}
