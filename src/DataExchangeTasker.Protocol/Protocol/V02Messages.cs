namespace DataExchangeTasker.Protocol;

/// <summary>A done-queue message in the original's v0.2 shape (<c>TASKER_DONE_FORMAT=v0.2</c>).</summary>
/// <param name="TaskId">The start message's taskId.</param>
/// <param name="State">What happened, or what is happening.</param>
internal sealed record V02Message(string TaskId, V02State State);

/// <summary>
/// The v0.2 state: <c>Running</c> (<c>currentStepIndex</c>, <c>currentStep</c>), <c>Success</c> (<c>output</c>),
/// <c>Error</c> (<c>message</c>, <c>output</c>, <c>failedStep</c>) or <c>Rejected</c> (<c>reason</c>); fields another
/// state uses are left out.
/// </summary>
internal sealed record V02State(string Name)
{
    /// <summary>Running: the step's index.</summary>
    public int? CurrentStepIndex { get; init; }

    /// <summary>Running: the step.</summary>
    public V02Step? CurrentStep { get; init; }

    /// <summary>Success and Error: what the container wrote.</summary>
    public V02Output? Output { get; init; }

    /// <summary>Error: a sentence a person can act on.</summary>
    public string? Message { get; init; }

    /// <summary>Error: the step that failed.</summary>
    public V02Step? FailedStep { get; init; }

    /// <summary>Rejected: why the task did not run.</summary>
    public string? Reason { get; init; }
}

/// <summary>A v0.2 step reference.</summary>
/// <param name="Name">One of <see cref="ProgressStep"/>'s names.</param>
internal sealed record V02Step(string Name);

/// <summary>The v0.2 output of a container.</summary>
/// <param name="Stdout">What the code wrote to stdout.</param>
/// <param name="Stderr">What the code wrote to stderr.</param>
/// <param name="Strace">The syscall trace.</param>
internal sealed record V02Output(string Stdout, string Stderr, string Strace);
