namespace DataExchangeTasker.Sandbox.Preparation;

/// <summary>
/// Which file-system object a path named when it was resolved: <c>st_dev</c> and <c>st_ino</c> as
/// <c>lstat</c> reports them (the encoding GNU <c>stat -c '%d %i'</c> prints, inside a container as well).
/// The supervisor compares it with the object mounted at <c>/tmp/data/&lt;dataPath&gt;</c> before the code starts.
/// </summary>
/// <param name="Device">st_dev, decimal as the kernel's user-space encoding.</param>
/// <param name="Inode">st_ino.</param>
public sealed record FileIdentity(ulong Device, ulong Inode);
