namespace DataExchangeTasker.Health;

/// <summary>
/// Whether the results root (<c>TASKER_RESULTS_ROOT</c>) can take a task's output files: a small file is written,
/// flushed and deleted there. A full disk (ENOSPC), a read-only one (EROFS), a quota or a permission fails it.
/// </summary>
internal sealed class ResultsRootProbe(string root)
{
    private static readonly byte[] Block = new byte[4096];

    /// <summary>The folder probed.</summary>
    public string Root { get; } = root;

    /// <summary>Null when a file could be written there; otherwise what went wrong, naming the root.</summary>
    public async Task<string?> ProbeAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(Root, $".tasker-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous | FileOptions.DeleteOnClose });
            await using (file.ConfigureAwait(false))
            {
                await file.WriteAsync(Block, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception again) when (again is IOException or UnauthorizedAccessException)
            {
                // Could not even remove it: the message below says why writing failed.
            }

            return $"the results root {Root} cannot be written: {e.Message}";
        }
    }
}
