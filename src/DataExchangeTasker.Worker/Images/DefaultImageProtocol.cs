namespace DataExchangeTasker.Images;

/// <summary>
/// What the last health check saw of the default runner image's supervisor label (<c>TASKER_IMAGE</c>, run by its
/// name, so it can be rebuilt while the tasker runs): <see cref="Pipeline.EngineWatch"/> reports every few seconds,
/// the task preparer (Sandbox/Preparation) rejects the tasks meant for it while it does not speak this tasker's protocol. Before
/// the first report nothing is rejected (intake waits for the first check anyway). Thread-safe.
/// </summary>
internal sealed class DefaultImageProtocol(string image)
{
    private volatile string? _mismatch;

    /// <summary>The image checked.</summary>
    public string Image { get; } = image;

    /// <summary>Why the image cannot run tasks, as of the last check; null when it can (or was not yet checked).</summary>
    public string? Mismatch => _mismatch;

    /// <summary>Records the image's labels as the engine answered them; returns true when the verdict changed.</summary>
    public bool Report(IReadOnlyDictionary<string, string> labels)
    {
        var mismatch = SupervisorProtocol.Mismatch(Image, labels);
        var changed = mismatch != _mismatch;
        _mismatch = mismatch;
        return changed;
    }
}
