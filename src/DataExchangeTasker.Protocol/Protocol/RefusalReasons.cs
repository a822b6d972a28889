namespace DataExchangeTasker.Protocol;

/// <summary>Why an entry of <c>/tmp/out</c> was not stored: the <c>reason</c> of a <see cref="RefusedOutput"/>.</summary>
internal static class RefusalReasons
{
    /// <summary>A symbolic link (never followed, never stored).</summary>
    public const string SymbolicLink = "symbolic_link";

    /// <summary>A hard link to another entry of the archive.</summary>
    public const string HardLink = "hard_link";

    /// <summary>A device, FIFO, socket or any other entry that is neither a regular file nor a folder.</summary>
    public const string SpecialFile = "special_file";

    /// <summary>An absolute name, or one with an empty, <c>.</c> or <c>..</c> segment, a NUL or a backslash.</summary>
    public const string UnsafeName = "unsafe_name";

    /// <summary>A name whose bytes are not UTF-8 (it could not be named faithfully in <c>outputFiles</c>).</summary>
    public const string NameNotUtf8 = "name_not_utf8";

    /// <summary>A segment longer than 255 bytes, or a path longer than the host allows under the results root.</summary>
    public const string NameTooLong = "name_too_long";

    /// <summary>The same name a second time in the archive; the first is kept.</summary>
    public const string Duplicate = "duplicate";

    /// <summary>The host's file system refused to create it (e.g. a name it does not accept, a file where a folder must be).</summary>
    public const string HostRefused = "host_refused";

    /// <summary>Past <c>TASKER_OUTPUT_FILES_LIMIT</c> entries (files and folders count alike).</summary>
    public const string FilesLimit = "files_limit";

    /// <summary>Past the work size limit in total (each folder counts 4096 bytes); a file that does not fit whole is dropped.</summary>
    public const string SizeLimit = "size_limit";
}
