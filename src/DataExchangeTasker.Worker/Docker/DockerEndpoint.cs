namespace DataExchangeTasker.Docker;

/// <summary>Where the engine listens, parsed from <c>DOCKER_HOST</c> (<c>unix:///path</c> or <c>tcp://host:port</c>).</summary>
public sealed record DockerEndpoint(string? SocketPath, Uri BaseAddress)
{
    /// <summary>The engine's usual socket.</summary>
    public const string DefaultHost = "unix:///var/run/docker.sock";

    /// <summary>The endpoint as Docker.DotNet takes it: <c>unix:///path</c> (its unix transport) or <c>http://host:port</c>.</summary>
    public Uri ClientUri => SocketPath is null ? BaseAddress : new Uri("unix://" + SocketPath);

    /// <summary>Parses a <c>DOCKER_HOST</c> value; throws <see cref="FormatException"/> naming what was expected.</summary>
    public static DockerEndpoint Parse(string value)
    {
        if (value.StartsWith("unix://", StringComparison.Ordinal) && value.Length > "unix://".Length)
        {
            var path = value["unix://".Length..];
            if (Uri.CheckHostName(Path.GetFileName(path)) == UriHostNameType.Unknown)
            {
                // Docker.DotNet's unix transport sends the socket's file name as the HTTP host.
                throw new FormatException($"the socket's file name must be a valid host name (e.g. docker.sock), got \"{value}\"");
            }

            // The host part is ignored by the socket handler but must be a valid URI authority.
            return new DockerEndpoint(path, new Uri("http://docker.sock/"));
        }

        if (value.StartsWith("tcp://", StringComparison.Ordinal)
            && Uri.TryCreate("http://" + value["tcp://".Length..], UriKind.Absolute, out var http))
        {
            return new DockerEndpoint(null, http);
        }

        throw new FormatException($"expected unix:///path/to/docker.sock or tcp://host:port, got \"{value}\"");
    }

    /// <inheritdoc />
    public override string ToString() => SocketPath is null ? BaseAddress.ToString() : "unix://" + SocketPath;
}
