using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ILogger = Serilog.ILogger;

namespace DataExchangeTasker.Health;

/// <summary>
/// The operator's HTTP surface: <c>/health</c>, <c>/health/live</c>, <c>/health/ready</c>, <c>/health/detailed</c>,
/// <c>/version</c> and <c>/metrics</c> (Prometheus text). Six GET endpoints for probes and scrapers need no web
/// framework: a small HTTP/1.1 responder on a <see cref="TcpListener"/> (one request per connection) keeps the
/// process about 15 MB smaller than Kestrel. (The managed <c>HttpListener</c> was tried and crashes at start when
/// a probe connects while it binds.)
/// </summary>
/// <remarks>
/// At most <see cref="MaxConnections"/> connections are open at once, each with a deadline to send its request. At
/// the cap a new connection does not wait: the connection that has waited longest for its request is dropped, so a
/// flood of idle connections cannot starve a probe that asks at once, nor take the process's file descriptors.
/// </remarks>
internal sealed class HttpEndpoint : IAsyncDisposable
{
    /// <summary>Connections served at once.</summary>
    public const int MaxConnections = 64;

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);
    private readonly LinkedList<Connection> _waiting = new();
    private int _open;
    private readonly TcpListener _listener;
    private readonly PrometheusExporter _exporter;
    private readonly HealthState _health;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    private HttpEndpoint(TcpListener listener, PrometheusExporter exporter, HealthState health, ILogger log)
    {
        _listener = listener;
        _exporter = exporter;
        _health = health;
        _log = log;
        _serving = Task.Run(() => ServeAsync(_stop.Token));
    }

    /// <summary>The port it listens on (useful with port 0).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Starts listening on <paramref name="bind"/> (<c>host:port</c>; <c>0.0.0.0</c> for every interface).</summary>
    public static Task<HttpEndpoint> StartAsync(string bind, HealthState health, TaskMetrics metrics, ILogger log, CancellationToken cancellationToken)
    {
        var colon = bind.LastIndexOf(':');
        var host = bind[..colon].Trim('[', ']');
        var port = int.Parse(bind[(colon + 1)..], CultureInfo.InvariantCulture);
        var address = host switch
        {
            "" or "*" or "0.0.0.0" => IPAddress.Any,
            "localhost" => IPAddress.Loopback,
            _ => IPAddress.Parse(host),
        };
        var listener = new TcpListener(address, port);
        try
        {
            listener.Start();
        }
        catch (SocketException e)
        {
            throw new Configuration.ConfigurationException($"TASKER_HTTP_BIND=\"{bind}\" is invalid: cannot listen there ({e.Message}); expected a free host:port, or off");
        }

        log.Information("Health and metrics on http://{Bind:l}/ (/health, /health/ready, /metrics)", bind);
        return Task.FromResult(new HttpEndpoint(listener, new PrometheusExporter(metrics.Meter), health, log));
    }

    private async Task ServeAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of file descriptors or a connection reset before accept: the listener itself is fine.
                _log.Debug("Accepting an HTTP connection failed: {Error}", e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(50), CancellationToken.None).ConfigureAwait(false);
                continue;
            }

            var connection = new Connection(client, stop);
            lock (_waiting)
            {
                if (_open >= MaxConnections && _waiting.First is { } oldest)
                {
                    _waiting.RemoveFirst();
                    oldest.Value.Drop();
                }

                _open++;
                connection.Node = _waiting.AddLast(connection);
            }

            _ = HandleAsync(connection);
        }
    }

    private async Task HandleAsync(Connection connection)
    {
        var client = connection.Client;
        using (client)
        {
            try
            {
                var timeout = connection.Cancel;
                timeout.CancelAfter(RequestTimeout);
                var stream = client.GetStream();
                var (method, path) = await ReadRequestLineAsync(stream, timeout.Token).ConfigureAwait(false);
                lock (_waiting)
                {
                    // Asked: no longer a candidate for dropping.
                    if (connection.Node?.List is not null)
                    {
                        _waiting.Remove(connection.Node);
                    }
                }

                var (status, type, body) = Route(method, path);
                var payload = Encoding.UTF8.GetBytes(body);
                var head = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
                    $"HTTP/1.1 {status} {Reason(status)}\r\nContent-Type: {type}; charset=utf-8\r\nContent-Length: {payload.Length}\r\nConnection: close\r\n\r\n"));
                await stream.WriteAsync(head, timeout.Token).ConfigureAwait(false);
                if (method != "HEAD")
                {
                    await stream.WriteAsync(payload, timeout.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                _log.Debug("HTTP request failed: {Error}", e.Message);
            }
            finally
            {
                lock (_waiting)
                {
                    if (connection.Node?.List is not null)
                    {
                        _waiting.Remove(connection.Node);
                    }

                    _open--;
                }

                connection.Cancel.Dispose();
            }
        }
    }

    /// <summary>Reads the request head (at most 8 KiB) and returns its method and path; headers are not needed.</summary>
    private static async Task<(string Method, string Path)> ReadRequestLineAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[8192];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            length += read;
            if (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) >= 0)
            {
                break;
            }
        }

        var line = Encoding.ASCII.GetString(buffer, 0, length).Split("\r\n")[0].Split(' ');
        var path = line.Length > 1 ? line[1].Split('?')[0] : "";
        return (line[0], path.Length > 1 ? path.TrimEnd('/') : path);
    }

    private (int Status, string Type, string Body) Route(string method, string path)
    {
        if (method is not ("GET" or "HEAD"))
        {
            return (405, "text/plain", "only GET\n");
        }

        var ready = _health.IsReady;
        return path switch
        {
            "/health" or "/health/ready" => (ready ? 200 : 503, "text/plain", ready ? "ready\n" : "not ready\n"),
            "/health/live" => (200, "text/plain", "live\n"),
            "/health/detailed" => (ready ? 200 : 503, "application/json", HealthReport.Detailed(_health)),
            "/version" => (200, "application/json", $"{{\"version\":\"{ThisAssembly.Version}\"}}"),
            "/metrics" => (200, "text/plain; version=0.0.4", _exporter.Render(t => HealthReport.Gauges(t, _health))),
            _ => (404, "text/plain", "not found: try /health, /health/ready, /health/detailed, /metrics, /version\n"),
        };
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Service Unavailable",
    };

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _serving.ConfigureAwait(false);
        _exporter.Dispose();
        _stop.Dispose();
    }

    /// <summary>One open connection: its client and the token that ends it (deadline, drop, or shutdown).</summary>
    private sealed class Connection(TcpClient client, CancellationToken stop)
    {
        public TcpClient Client { get; } = client;

        public CancellationTokenSource Cancel { get; } = CancellationTokenSource.CreateLinkedTokenSource(stop);

        public LinkedListNode<Connection>? Node { get; set; }

        /// <summary>Ends the connection now: its read is cancelled and the socket closed.</summary>
        public void Drop()
        {
            try
            {
                Cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Already finished.
            }

            Client.Dispose();
        }
    }
}
