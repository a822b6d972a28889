namespace DataExchangeTasker.Docker;

/// <summary>How the tasker names a container to people: the engine's short form of its id (as <c>docker ps</c> shows it).</summary>
public static class ContainerIds
{
    /// <summary>The first 12 characters of <paramref name="id"/> (the whole of a shorter one, e.g. a name).</summary>
    public static string Shorten(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return id.Length > 12 ? id[..12] : id;
    }
}
