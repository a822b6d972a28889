using DataExchangeTasker.Docker;

namespace DataExchangeTasker.Tests.Docker;

public sealed class DockerEndpointTests
{
    [Theory]
    [InlineData("unix:///var/run/docker.sock", "/var/run/docker.sock")]
    [InlineData("unix:///run/user/1000/docker.sock", "/run/user/1000/docker.sock")]
    [InlineData("unix:///tmp/with space/docker.sock", "/tmp/with space/docker.sock")]
    public void Parse_UnixSocket_KeepsThePath(string value, string path)
    {
        var endpoint = DockerEndpoint.Parse(value);

        Assert.Equal(path, endpoint.SocketPath);
        Assert.Equal("http", endpoint.BaseAddress.Scheme);
        Assert.Equal(value, endpoint.ToString());
    }

    [Theory]
    [InlineData("tcp://127.0.0.1:2375", "http://127.0.0.1:2375/")]
    [InlineData("tcp://docker.example:2376", "http://docker.example:2376/")]
    [InlineData("tcp://[::1]:2375", "http://[::1]:2375/")]
    public void Parse_Tcp_BecomesAnHttpBaseAddress(string value, string expected)
    {
        var endpoint = DockerEndpoint.Parse(value);

        Assert.Null(endpoint.SocketPath);
        Assert.Equal(new Uri(expected), endpoint.BaseAddress);
        Assert.Equal(expected, endpoint.ToString());
    }

    [Theory]
    [InlineData("unix://")]
    [InlineData("tcp://")]
    [InlineData("")]
    [InlineData("/var/run/docker.sock")]
    [InlineData("npipe:////./pipe/docker_engine")]
    [InlineData("http://localhost:2375")]
    [InlineData("ssh://user@host")]
    public void Parse_Unsupported_ThrowsFormatExceptionNamingTheValue(string value)
    {
        var error = Assert.Throws<FormatException>(() => DockerEndpoint.Parse(value));

        Assert.Contains($"got \"{value}\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("unix:///path/to/docker.sock or tcp://host:port", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("unix:///var/run/docker.sock", "unix:///var/run/docker.sock")]
    [InlineData("unix:///tmp/with space/docker.sock", "unix:///tmp/with%20space/docker.sock")]
    [InlineData("tcp://127.0.0.1:2375", "http://127.0.0.1:2375/")]
    public void ClientUri_Endpoint_IsWhatDockerDotNetConnectsTo(string value, string expected)
    {
        var endpoint = DockerEndpoint.Parse(value);

        Assert.Equal(expected, endpoint.ClientUri.AbsoluteUri);
        using var engine = new DockerEngine(endpoint);
        Assert.Equal(endpoint, engine.Endpoint);
    }

    [Theory]
    [InlineData("unix:///tmp/with space.sock")]
    [InlineData("unix:///tmp/")]
    public void Parse_SocketFileNameNotAHostName_ThrowsBeforeTheLibraryWould(string value)
    {
        var error = Assert.Throws<FormatException>(() => DockerEndpoint.Parse(value));

        Assert.Contains("valid host name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultHost_ParsesToTheUsualSocket()
    {
        Assert.Equal("/var/run/docker.sock", DockerEndpoint.Parse(DockerEndpoint.DefaultHost).SocketPath);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData(500, true)]
    [InlineData(503, true)]
    [InlineData(404, false)]
    [InlineData(409, false)]
    [InlineData(400, false)]
    public void IsTransient_Status_RetriesOnlyUnreachableAndServerErrors(int? status, bool transient)
    {
        var error = new DockerApiException("POST /containers/create", (System.Net.HttpStatusCode?)status, "m");

        Assert.Equal(transient, error.IsTransient);
    }

    [Fact]
    public void Message_NamesOperationStatusAndEngineMessage()
    {
        Assert.Equal("Docker engine answered 404 to POST /containers/create: No such image: x",
            new DockerApiException("POST /containers/create", System.Net.HttpStatusCode.NotFound, "No such image: x").Message);
        Assert.Equal("Docker engine unreachable during GET /_ping: connection refused",
            new DockerApiException("GET /_ping", null, "connection refused").Message);
    }
}
