namespace DataExchangeTasker.Sandbox;

/// <summary>Where a task lives on this host: its container name, derived from its taskId, and the tasker's private state folder.</summary>
/// <param name="Key">The container name (and results folder name).</param>
/// <param name="StateRoot">The tasker's private state folder (<c>TASKER_WORK_ROOT</c>, 0700), which no container can reach.</param>
public sealed record TaskSite(string Key, string StateRoot)
{
    /// <summary>Written once the done message is confirmed, so a redelivery knows it only needs an ack.</summary>
    public string PublishedMarker => Path.Combine(StateRoot, Key + ".published");

    /// <summary>Removes the published marker; it may already be gone.</summary>
    public void DeleteFiles()
    {
        try
        {
            File.Delete(PublishedMarker);
        }
        catch (DirectoryNotFoundException)
        {
            // The whole state folder is gone: nothing left to delete.
        }
    }
}
