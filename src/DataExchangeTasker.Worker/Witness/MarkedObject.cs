using DataExchangeTasker.Sandbox.Preparation;

namespace DataExchangeTasker.Witness;

/// <summary>A folder or file of a task's data to mark, with the inode it named when the data was walked.</summary>
internal sealed record MarkedObject(string Path, bool Folder, FileIdentity Identity);
