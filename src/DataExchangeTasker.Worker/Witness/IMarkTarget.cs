namespace DataExchangeTasker.Witness;

/// <summary>Where marks go: the fanotify group, or a recording fake in unit tests. Each call returns 0 or an errno.</summary>
internal interface IMarkTarget
{
    /// <summary>Marks a folder (opens of it and its entries) or a file.</summary>
    int Mark(string path, bool folder);

    /// <summary>Removes that mark.</summary>
    int Unmark(string path, bool folder);

    /// <summary>Removes every inode mark.</summary>
    int Flush();
}
