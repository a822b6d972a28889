namespace DataExchangeTasker.Sandbox;

/// <summary>Where a task runs on this host: its container name and work folder, both derived from its taskId.</summary>
/// <remarks>What was answered is recorded apart from the site (<see cref="Pipeline.AnswerLedger"/>), so removing a site never forgets an answer.</remarks>
public sealed record TaskSite(string Key, WorkFolder Work)
{
    /// <summary>Removes the work folder; it may already be gone.</summary>
    public void DeleteFiles() => Work.Delete();
}
