namespace DataExchangeTasker.Sandbox.Claims;

/// <summary>
/// One delivery's (or install's) hold on a container name (<see cref="ClaimedContainers.ClaimAsync"/>), released by
/// disposing it, once.
/// A delivery of the same task waiting for it learns whether the task was answered (<see cref="MarkAnswered"/>):
/// if so it only acknowledges, otherwise it runs the task itself.
/// </summary>
internal sealed class TaskClaim : IDisposable
{
    private readonly Action<bool> _release;
    private int _released;

    internal TaskClaim(string key, Action<bool> release)
    {
        Key = key;
        _release = release;
    }

    /// <summary>The claimed container name (a task key, or a preparation container's name).</summary>
    public string Key { get; }

    /// <summary>True once the task's answer is confirmed by the broker.</summary>
    public bool Answered { get; private set; }

    /// <summary>Records that the task's answer is out: waiting deliveries of it will not run it again.</summary>
    public void MarkAnswered() => Answered = true;

    /// <summary>Releases the container name; waiting deliveries continue.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _release(Answered);
        }
    }
}
