namespace DataExchangeTasker.Witness;

/// <summary>Paths as the witness reports them: the form of the trace summary's <c>dataRead</c>.</summary>
internal static class WitnessPaths
{
    private const string Deleted = " (deleted)";

    /// <summary>
    /// The kernel's path of an open descriptor, without the <c> (deleted)</c> mark it appends when the file was
    /// removed since (the open itself named the file by its path).
    /// </summary>
    public static string Normalize(string kernelPath)
    {
        ArgumentNullException.ThrowIfNull(kernelPath);
        return kernelPath.EndsWith(Deleted, StringComparison.Ordinal) ? kernelPath[..^Deleted.Length] : kernelPath;
    }
}
