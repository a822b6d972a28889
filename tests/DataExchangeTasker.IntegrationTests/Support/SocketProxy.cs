using System.Net.Sockets;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// A unix-socket forwarder to the Docker engine that a test can take down and bring back, to simulate an
/// engine outage without stopping the real daemon other tests use.
/// </summary>
public sealed class SocketProxy : IAsyncDisposable
{
    private readonly string _target;
    private readonly List<Socket> _open = [];
    private Socket? _listener;
    private CancellationTokenSource? _stop;
    private Task? _accepting;

    public SocketProxy(string path, string target)
    {
        Path = path;
        _target = target;
    }

    /// <summary>The proxy's socket path (use as <c>DOCKER_HOST=unix://…</c>).</summary>
    public string Path { get; }

    /// <summary>Starts accepting and forwarding.</summary>
    public void Start()
    {
        File.Delete(Path);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(Path));
        _listener.Listen(64);
        _stop = new CancellationTokenSource();
        _accepting = AcceptAsync(_listener, _stop.Token);
    }

    /// <summary>Stops listening, cuts every forwarded connection and removes the socket file.</summary>
    public async Task StopAsync()
    {
        if (_stop is null)
        {
            return;
        }

        await _stop.CancelAsync();
        _listener!.Dispose();
        lock (_open)
        {
            foreach (var s in _open)
            {
                s.Dispose();
            }

            _open.Clear();
        }

        try
        {
            await _accepting!;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Expected: the listener was closed under the accept loop.
        }

        File.Delete(Path);
        _stop.Dispose();
        _stop = null;
    }

    private async Task AcceptAsync(Socket listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var client = await listener.AcceptAsync(cancellationToken);
            var upstream = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await upstream.ConnectAsync(new UnixDomainSocketEndPoint(_target), cancellationToken);
            lock (_open)
            {
                _open.Add(client);
                _open.Add(upstream);
            }

            _ = PumpAsync(client, upstream);
            _ = PumpAsync(upstream, client);
        }
    }

    private static async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[81920];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // One side went away; the other is closed by StopAsync or by its owner.
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync();
}
