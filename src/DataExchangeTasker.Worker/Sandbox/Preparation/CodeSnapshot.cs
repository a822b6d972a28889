namespace DataExchangeTasker.Sandbox.Preparation;

/// <summary>An immutable copy of approved code: what gets mounted instead of the live code path.</summary>
/// <param name="Hash">The code hash (<see cref="CodeHasher"/>) of the snapshot's content.</param>
/// <param name="Folder">The snapshot folder, <c>&lt;snapshot root&gt;/&lt;hash&gt;</c>.</param>
/// <param name="MountSource">What to bind-mount: <see cref="Folder"/> for code that is a folder, the file inside it for a single file.</param>
public sealed record CodeSnapshot(string Hash, string Folder, string MountSource);
