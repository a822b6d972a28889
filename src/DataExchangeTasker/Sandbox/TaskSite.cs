namespace DataExchangeTasker.Sandbox;

/// <summary>Where a task runs on this host: its container name and work folder, both derived from its taskId.</summary>
public sealed record TaskSite(string Key, WorkFolder Work)
{
    /// <summary>
    /// Written once the done message is confirmed, so a redelivery knows it only needs an ack. It sits beside the
    /// work folder, not in it, where the task (which can write /tmp/out) cannot forge it.
    /// </summary>
    public string PublishedMarker => Work.Path + ".published";

    /// <summary>Removes the work folder and the published marker; both may already be gone.</summary>
    public void DeleteFiles()
    {
        Work.Delete();
        try
        {
            File.Delete(PublishedMarker);
        }
        catch (DirectoryNotFoundException)
        {
            // The whole work root is gone: nothing left to delete.
        }
    }
}
