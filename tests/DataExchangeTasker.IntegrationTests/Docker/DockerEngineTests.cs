using System.Diagnostics;
using System.Net;
using DataExchangeTasker.Docker;
using DataExchangeTasker.IntegrationTests.Support;
using DockerClientBuilder = Docker.DotNet.DockerClientBuilder;
using Docker.DotNet.Models;

namespace DataExchangeTasker.IntegrationTests.Docker;

/// <summary>The adapter over Docker.DotNet against the real engine, and against a hung or absent one.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xunit disposes the engine client through IAsyncLifetime.DisposeAsync.")]
public sealed class DockerEngineTests : IAsyncLifetime
{
    private static readonly DockerEndpoint Real = DockerEndpoint.Parse(Environment.GetEnvironmentVariable("DOCKER_HOST") ?? DockerEndpoint.DefaultHost);

    private readonly DockerEngine _docker = new(Real);
    private readonly List<string> _created = [];
    private readonly string _root = Directory.CreateTempSubdirectory("tasker-engine-").FullName;

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await EngineRequirement.EnsureAsync(_docker, timeout.Token);
    }

    public async Task DisposeAsync()
    {
        foreach (var id in _created)
        {
            await _docker.RemoveContainerAsync(id, CancellationToken.None);
        }

        await _docker.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task PingAsync_RealEngine_SpeaksTheOlderOfBothApiVersions()
    {
        var version = await _docker.GetVersionAsync(CancellationToken.None);

        var negotiated = await _docker.PingAsync(CancellationToken.None);

        var engine = System.Version.Parse(version.APIVersion);
        var expected = engine < DockerEngine.ClientApiVersion ? engine : DockerEngine.ClientApiVersion;
        Assert.Equal(expected.ToString(), negotiated);
        Assert.Equal(negotiated, _docker.ApiVersion);
    }

    [Fact]
    public async Task ImageExistsAsync_RunnerImageAndAbsentImage_TrueThenFalse()
    {
        Assert.True(await _docker.ImageExistsAsync(EngineRequirement.RunnerImage, CancellationToken.None));
        Assert.False(await _docker.ImageExistsAsync("tasker-absent-image:" + Guid.NewGuid().ToString("N"), CancellationToken.None));
    }

    [Fact]
    public async Task ListContainersAsync_ByLabels_ListsTheseContainersAsTheLibraryDoes()
    {
        var mark = Guid.NewGuid().ToString("N");
        var spec = Spec(["true"]);
        spec.Labels["dataexchange.tasker.test-mark"] = mark;
        spec.HostConfig!.Binds = [_root + ":/mnt/root:ro"];
        var listed = await CreateAsync(spec);
        var other = Spec(["true"]);
        other.Labels["dataexchange.tasker.test-mark"] = "other-" + mark;
        await CreateAsync(other);
        var labels = new Dictionary<string, string?> { ["dataexchange.tasker.test-mark"] = mark, ["dataexchange.tasker.test"] = null };

        var ours = await _docker.ListContainersAsync(labels, CancellationToken.None);

        using var library = new DockerClientBuilder().WithEndpoint(Real.ClientUri).Build();
        var truth = Assert.Single(await library.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { ["dataexchange.tasker.test-mark=" + mark] = true } },
        }));
        var container = Assert.Single(ours);
        Assert.Equal(listed, container.ID);
        Assert.Equal(truth.ID, container.ID);
        Assert.Equal(truth.Names, container.Names);
        Assert.Equal(truth.Image, container.Image);
        Assert.Equal(truth.ImageID, container.ImageID);
        Assert.Equal(truth.Command, container.Command);
        Assert.Equal(truth.Created, container.Created);
        Assert.Equal(truth.State, container.State);
        Assert.Equal(truth.Status, container.Status);
        Assert.Equal(truth.Labels.OrderBy(l => l.Key), container.Labels.OrderBy(l => l.Key));
        var mount = Assert.Single(container.Mounts);
        var trueMount = Assert.Single(truth.Mounts);
        Assert.Equal((trueMount.Type, trueMount.Source, trueMount.Destination, trueMount.RW), (mount.Type, mount.Source, mount.Destination, mount.RW));
        Assert.Equal(_root, mount.Source);
    }

    [Fact]
    public async Task RunExecAsync_ReaderFailsWithItsOwnIOException_ThatExceptionSurfacesAndTheEngineIsNotTakenForGone()
    {
        var id = await CreateAsync(["sleep", "60"]);
        await _docker.StartContainerAsync(id, CancellationToken.None);
        var exec = await _docker.CreateExecAsync(id, new ContainerExecCreateParameters { AttachStdout = true, AttachStderr = true, Cmd = ["sh", "-c", "echo some output"] }, CancellationToken.None);

        // What the results disk throws when it is full: the reader's failure, not the engine's.
        var error = await Assert.ThrowsAsync<IOException>(() => _docker.RunExecAsync(exec, async (stream, ct) =>
        {
            _ = await stream.ReadAsync(new byte[16], ct);
            throw new IOException("No space left on device", 28);
        }, TimeSpan.FromSeconds(30), CancellationToken.None));

        Assert.Equal(28, error.HResult);
        Assert.IsNotType<DockerApiException>(error.InnerException);
        Assert.NotNull(await _docker.InspectContainerAsync(id, CancellationToken.None));
    }

    [Fact]
    public async Task RunExecAsync_EngineTransportGoesAwayWhileReading_IsOurUnreachableException()
    {
        await using var proxy = new SocketProxy(Path.Combine(_root, "engine.sock"), "/var/run/docker.sock");
        proxy.Start();
        await using var docker = new DockerEngine(DockerEndpoint.Parse("unix://" + proxy.Path));
        var id = await CreateAsync(["sleep", "60"]);
        await _docker.StartContainerAsync(id, CancellationToken.None);
        var exec = await docker.CreateExecAsync(id, new ContainerExecCreateParameters { AttachStdout = true, AttachStderr = true, Cmd = ["sh", "-c", "echo first; sleep 30"] }, CancellationToken.None);

        var error = await Assert.ThrowsAsync<DockerApiException>(() => docker.RunExecAsync(exec, async (stream, ct) =>
        {
            var buffer = new byte[64];
            _ = await stream.ReadAsync(buffer, ct);
            await proxy.StopAsync();
            // The reader passes on whatever reading the engine's stream throws, as a tar reader does.
            while (await stream.ReadAsync(buffer, ct) > 0)
            {
            }
        }, TimeSpan.FromSeconds(30), CancellationToken.None));

        Assert.True(error.EngineUnreachable);
    }

    [Fact]
    public async Task TrackPeakMemoryAsync_UntilTheContainerExited_ReportsMemoryUse()
    {
        var id = await CreateAsync(["sh", "-c", "sleep 2"]);
        await _docker.StartContainerAsync(id, CancellationToken.None);
        using var stop = new CancellationTokenSource();
        var tracking = _docker.TrackPeakMemoryAsync(id, stop.Token);
        await UntilStoppedAsync(id);

        // The engine keeps streaming (empty) samples of a stopped container: the caller ends the stream.
        await stop.CancelAsync();
        var peak = await tracking.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.NotNull(peak);
        Assert.True(peak > 0);
    }

    [Fact]
    public async Task InspectKillRemove_AbsentContainer_AreNotErrors()
    {
        var absent = "tasker-absent-" + Guid.NewGuid().ToString("N");

        Assert.Null(await _docker.InspectContainerAsync(absent, CancellationToken.None));
        await _docker.KillContainerAsync(absent, "SIGKILL", CancellationToken.None);
        await _docker.RemoveContainerAsync(absent, CancellationToken.None);
        Assert.Null(await _docker.InspectImageAsync("tasker-absent-image:" + Guid.NewGuid().ToString("N"), CancellationToken.None));
    }

    [Fact]
    public async Task CreateContainerAsync_NameTaken_ThrowsOurExceptionWithConflict()
    {
        var name = "tasker-conflict-" + Guid.NewGuid().ToString("N")[..12];
        _created.Add(await _docker.CreateContainerAsync(name, Spec(["true"]), CancellationToken.None));

        var error = await Assert.ThrowsAsync<DockerApiException>(() => _docker.CreateContainerAsync(name, Spec(["true"]), CancellationToken.None));

        Assert.Equal(HttpStatusCode.Conflict, error.StatusCode);
        Assert.False(error.IsTransient);
        Assert.Contains("already in use", error.EngineMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateContainerAsync_MissingImage_ThrowsOurExceptionWithNotFound()
    {
        var spec = Spec(["true"]);
        spec.Image = "tasker-absent-image:" + Guid.NewGuid().ToString("N");

        var error = await Assert.ThrowsAsync<DockerApiException>(() => _docker.CreateContainerAsync(null, spec, CancellationToken.None));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Contains("No such image", error.EngineMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PingAsync_NoEngineAtTheSocket_ThrowsTransientOurException()
    {
        await using var docker = new DockerEngine(DockerEndpoint.Parse("unix://" + Path.Combine(_root, "nothing.sock")));

        var error = await Assert.ThrowsAsync<DockerApiException>(() => docker.PingAsync(CancellationToken.None));

        Assert.Null(error.StatusCode);
        Assert.True(error.IsTransient);
    }

    [Fact]
    public async Task PingAndRemove_HungEngine_FailWithinTheirDeadlines()
    {
        await using var hung = new UnansweringSocket(Path.Combine(_root, "hung.sock"));
        await using var docker = new DockerEngine(DockerEndpoint.Parse("unix://" + hung.Path), callTimeout: TimeSpan.FromSeconds(2), pingTimeout: TimeSpan.FromSeconds(1));

        var clock = Stopwatch.StartNew();
        var ping = await Assert.ThrowsAsync<DockerApiException>(() => docker.PingAsync(CancellationToken.None));
        var pingTook = clock.Elapsed;
        clock.Restart();
        var remove = await Assert.ThrowsAsync<DockerApiException>(() => docker.RemoveContainerAsync("tasker-any", CancellationToken.None));
        var removeTook = clock.Elapsed;

        Assert.True(hung.Accepted > 0, "the client never reached the hung socket");
        Assert.InRange(pingTook, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(3));
        Assert.InRange(removeTook, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(5));
        Assert.All([ping, remove], e =>
        {
            Assert.Null(e.StatusCode);
            Assert.True(e.IsTransient);
            Assert.Contains("did not answer within", e.Message, StringComparison.Ordinal);
        });
    }

    private CreateContainerParameters Spec(IList<string> entrypoint) => new()
    {
        Image = EngineRequirement.RunnerImage,
        Entrypoint = entrypoint,
        Labels = new Dictionary<string, string> { ["dataexchange.tasker.test"] = nameof(DockerEngineTests) },
        HostConfig = new HostConfig { NetworkMode = "none" },
    };

    private Task<string> CreateAsync(IList<string> entrypoint) => CreateAsync(Spec(entrypoint));

    private async Task<string> CreateAsync(CreateContainerParameters spec)
    {
        var id = await _docker.CreateContainerAsync(null, spec, CancellationToken.None);
        _created.Add(id);
        return id;
    }

    private async Task UntilStoppedAsync(string id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await _docker.InspectContainerAsync(id, CancellationToken.None))!.State!.Running)
        {
            Assert.True(DateTime.UtcNow < deadline, "the container did not exit within 30 s");
            await Task.Delay(50);
        }
    }
}
