using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// A TCP forwarder in front of a broker that reads the client's AMQP 0-9-1 frames and holds back the first few
/// carrying one method (e.g. <c>exchange.declare</c>) for a while before passing them on: a broker that is slow to
/// answer exactly that call, as one under load is. Everything else passes at once.
/// </summary>
public sealed class AmqpDelayProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _broker;
    private readonly ushort _classId;
    private readonly ushort _methodId;
    private readonly TimeSpan _delay;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _open = [];
    private readonly Task _accepting;
    private int _delaysLeft;
    private int _delayed;

    /// <summary>Holds back the first <paramref name="count"/> frames of method <paramref name="classId"/>.<paramref name="methodId"/> by <paramref name="delay"/> each.</summary>
    public AmqpDelayProxy(Uri broker, ushort classId, ushort methodId, TimeSpan delay, int count)
    {
        _broker = broker;
        _classId = classId;
        _methodId = methodId;
        _delay = delay;
        _delaysLeft = count;
        _listener.Start();
        _accepting = AcceptAsync(_stop.Token);
    }

    /// <summary>exchange.declare.</summary>
    public static (ushort ClassId, ushort MethodId) ExchangeDeclare => (40, 10);

    /// <summary>The broker's URI with the proxy's port.</summary>
    public Uri AmqpUri => new UriBuilder(_broker) { Host = "127.0.0.1", Port = ((IPEndPoint)_listener.LocalEndpoint).Port }.Uri;

    /// <summary>How many frames were held back so far.</summary>
    public int Delayed => Volatile.Read(ref _delayed);

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(cancellationToken);
                var upstream = new TcpClient();
                await upstream.ConnectAsync(_broker.Host, _broker.Port, cancellationToken);
                lock (_open)
                {
                    _open.Add(client);
                    _open.Add(upstream);
                }

                _ = ForwardFramesAsync(client.GetStream(), upstream.GetStream(), cancellationToken);
                _ = PumpAsync(upstream.GetStream(), client.GetStream(), cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    /// <summary>Client to broker, frame by frame: the protocol header, then type(1) channel(2) size(4) payload end(1).</summary>
    private async Task ForwardFramesAsync(NetworkStream from, NetworkStream to, CancellationToken cancellationToken)
    {
        try
        {
            var header = new byte[8];
            await from.ReadExactlyAsync(header, cancellationToken);
            await to.WriteAsync(header, cancellationToken);
            var frameHeader = new byte[7];
            while (true)
            {
                await from.ReadExactlyAsync(frameHeader, cancellationToken);
                var size = BinaryPrimitives.ReadInt32BigEndian(frameHeader.AsSpan(3));
                var rest = new byte[size + 1];
                await from.ReadExactlyAsync(rest, cancellationToken);
                if (frameHeader[0] == 1 && size >= 4
                    && BinaryPrimitives.ReadUInt16BigEndian(rest) == _classId && BinaryPrimitives.ReadUInt16BigEndian(rest.AsSpan(2)) == _methodId
                    && Interlocked.Decrement(ref _delaysLeft) >= 0)
                {
                    Interlocked.Increment(ref _delayed);
                    await Task.Delay(_delay, cancellationToken);
                }

                await to.WriteAsync(frameHeader, cancellationToken);
                await to.WriteAsync(rest, cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            to.Close();
        }
    }

    private static async Task PumpAsync(NetworkStream from, NetworkStream to, CancellationToken cancellationToken)
    {
        try
        {
            await from.CopyToAsync(to, cancellationToken);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // One side went away.
        }

        to.Close();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_open)
        {
            foreach (var c in _open)
            {
                c.Dispose();
            }
        }

        await _accepting;
        _stop.Dispose();
    }
}
