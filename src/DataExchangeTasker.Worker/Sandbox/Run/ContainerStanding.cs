namespace DataExchangeTasker.Sandbox.Run;

/// <summary>How a container stands when the tasker judges its run, in the tasker's terms (not the Engine API's).</summary>
/// <param name="Running">Its main process still runs.</param>
/// <param name="OomKilled">Its memory limit killed a process of it.</param>
/// <param name="ExitCode">Its main process's exit code once it ended (0 while it runs).</param>
internal sealed record ContainerStanding(bool Running, bool OomKilled, long ExitCode);
