namespace DataExchangeTasker.Protocol;

/// <summary>The steps of a run as the original's v0.2 protocol named them, in order.</summary>
internal enum ProgressStep
{
    /// <summary>Checking the start message, the code's hash and approval, the paths.</summary>
    VerifyingAlgorithm = 0,

    /// <summary>Creating and starting the container.</summary>
    CreatingContainer = 1,

    /// <summary>The code runs.</summary>
    ExecutingAlgorithm = 2,

    /// <summary>Collecting the results and removing the container.</summary>
    CleaningUp = 3,
}
