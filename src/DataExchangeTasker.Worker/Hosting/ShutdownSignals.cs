using System.Runtime.InteropServices;

namespace DataExchangeTasker.Hosting;

/// <summary>SIGTERM/SIGINT: the first starts a graceful drain, the second aborts at once.</summary>
public sealed class ShutdownSignals : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly PosixSignalRegistration[] _registrations;

    public ShutdownSignals()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
        ];
    }

    /// <summary>Fires on the first signal.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Fires on the second signal.</summary>
    public CancellationToken Abort => _abort.Token;

    private void Handle(PosixSignalContext context)
    {
        // Keep the process alive: shutdown is ours to order.
        context.Cancel = true;
        if (_stopping.IsCancellationRequested)
        {
            // Unacked start messages return to the queue when the connection drops; running containers
            // are adopted by the next start instead of run again.
            _abort.Cancel();
            Environment.Exit(130);
        }
        else
        {
            _stopping.Cancel();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var r in _registrations)
        {
            r.Dispose();
        }

        _stopping.Dispose();
        _abort.Dispose();
    }
}
