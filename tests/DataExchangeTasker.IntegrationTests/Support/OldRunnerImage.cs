using static DataExchangeTasker.IntegrationTests.Sandbox.SandboxTestSupport;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// A runner image built for an older tasker: a Python image whose supervisor label (<c>dataexchange.tasker.supervisor</c>)
/// is missing, as every image built before protocol 2 is. Built FROM debian:bookworm-slim under a unique tag (no
/// layer to build: a label only), removed on dispose.
/// </summary>
public sealed class OldRunnerImage : IAsyncDisposable
{
    private OldRunnerImage(string tag) => Tag = tag;

    /// <summary>The image's tag.</summary>
    public string Tag { get; }

    /// <summary>Builds the image; fails the test when the engine cannot.</summary>
    public static async Task<OldRunnerImage> BuildAsync()
    {
        var tag = "dataexchange-tasker-test-old-runner:" + Guid.NewGuid().ToString("N")[..12];
        var context = Directory.CreateTempSubdirectory("tasker-old-runner-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(context.FullName, "Dockerfile"),
                "FROM debian:bookworm-slim\nLABEL dataexchange.tasker.entry=run.py dataexchange.tasker.interpreter=python\n");
            var (code, _, stderr) = await DockerCliAsync("build", "-q", "-t", tag, context.FullName);
            Assert.True(code == 0, "docker build of the old runner image failed: " + stderr);
        }
        finally
        {
            context.Delete(recursive: true);
        }

        return new OldRunnerImage(tag);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await DockerCliAsync("rmi", "-f", Tag);
}
