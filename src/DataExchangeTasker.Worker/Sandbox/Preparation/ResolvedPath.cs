namespace DataExchangeTasker.Sandbox.Preparation;

/// <summary>A user path checked to lie under its root.</summary>
/// <param name="HostPath">Canonical host path (all symlinks resolved): the bind mount's source.</param>
/// <param name="ContainerPath">Where it appears in the container, e.g. <c>/tmp/code/demo1_code</c>.</param>
/// <param name="IsDirectory">True for a folder.</param>
public sealed record ResolvedPath(string HostPath, string ContainerPath, bool IsDirectory)
{
    /// <summary>
    /// The object <see cref="HostPath"/> named when it was resolved; the container must see exactly this one
    /// (the engine resolves the bind source again, after us). Null only for paths built by hand in tests.
    /// </summary>
    public FileIdentity? Identity { get; init; }

    /// <summary>
    /// Type, size and times of the same object, from the same <c>lstat</c>: what the supervisor compares instead of
    /// <see cref="Identity"/> under gVisor. Null only for paths built by hand in tests.
    /// </summary>
    public FileStamp? Stamp { get; init; }
}
