using DataExchangeTasker.IntegrationTests.Support;

namespace DataExchangeTasker.IntegrationTests.Scripts;

/// <summary>
/// scripts/publish-tasker.sh reuses the binary of a tasker image labelled with the hash of the publish's inputs instead
/// of compiling again (the test command's largest CPU cost). A hash that missed an input would ship or test a stale
/// binary as the new one, so these tests change inputs and non-inputs of a copy of the repository and run the real
/// script on it against a small image of their own (no native compile: a miss is stopped before it by a removed project).
/// scripts/build-tasker-image.sh skips building an image that already packages the same binary with the same
/// Dockerfile, and must build again when either changed.
/// </summary>
public sealed class PublishTaskerScriptTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _copy = Directory.CreateTempSubdirectory("tasker-publish-script-").FullName;
    private readonly string _tag = "dataexchange-tasker-test-publish-cache:" + Guid.NewGuid().ToString("N")[..12];

    public Task InitializeAsync()
    {
        CopyRepositoryInputs(TaskerFixture.RepositoryRoot(), _copy);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Directory.Delete(_copy, recursive: true);
        // Only the tests that built it have one; a missing image is no failure.
        await DockerCli.TryRunAsync(null, ["rmi", "-f", _tag], Deadline, CancellationToken.None);
    }

    [Fact]
    public async Task PublishHash_SourcesChanged_DiffersAndTestsDocsOrBuildOutputsChanged_Same()
    {
        var original = await HashAsync();
        Assert.Matches("^[0-9a-f]{64}$", original);

        // Not inputs: tests, docs, and build outputs under src/.
        File.WriteAllText(Path.Combine(_copy, "tests", "NewTest.cs"), "// a new test");
        File.AppendAllText(Path.Combine(_copy, "README.md"), "\nmore docs\n");
        Directory.CreateDirectory(Path.Combine(_copy, "src", "DataExchangeTasker.Worker", "obj", "Release"));
        File.WriteAllText(Path.Combine(_copy, "src", "DataExchangeTasker.Worker", "obj", "Release", "x.dll"), "build output");
        Assert.Equal(original, await HashAsync());

        // Inputs: a source file's content, a new source file, the central package versions, the api's embedded document.
        var source = Path.Combine(_copy, "src", "DataExchangeTasker.Worker", "ThisAssembly.cs");
        var text = File.ReadAllText(source);
        File.WriteAllText(source, text + "\n// changed");
        var changed = await HashAsync();
        Assert.NotEqual(original, changed);
        File.WriteAllText(source, text);
        Assert.Equal(original, await HashAsync());

        foreach (var input in new[] { "src/DataExchangeTasker.Api/Api/Extra.cs", "Directory.Packages.props", "protocol/openapi.json", "src/Directory.Build.props" })
        {
            var path = Path.Combine(_copy, input);
            var before = File.Exists(path) ? File.ReadAllText(path) : null;
            File.WriteAllText(path, (before ?? "") + "\n");
            Assert.True(await HashAsync() != original, $"changing {input} left the publish hash as it was");
            if (before is null)
            {
                File.Delete(path);
            }
            else
            {
                File.WriteAllText(path, before);
            }
        }

        Assert.Equal(original, await HashAsync());
    }

    [Fact]
    public async Task PublishTasker_ImageLabelledWithTheSameInputs_CopiesItsFilesAndCompilesNothing()
    {
        await BuildCachedImageAsync(await HashAsync());
        var output = Path.Combine(_copy, "out", "tasker");

        var run = await PublishAsync("--from-image", _tag, output);

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains("copied", run.Stdout, StringComparison.Ordinal);
        Assert.Equal("#!/bin/sh\necho cached-tasker\n", File.ReadAllText(Path.Combine(output, "tasker")));
        Assert.Equal("sodium\n", File.ReadAllText(Path.Combine(output, "libsodium.so")));
        Assert.Equal(await HashAsync(), File.ReadAllText(Path.Combine(output, "publish-hash")).Trim());
        // Nothing was compiled: no project of the copy has an obj folder.
        Assert.Empty(Directory.GetDirectories(Path.Combine(_copy, "src"), "obj", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task PublishTasker_SourcesChangedSinceTheImage_DoesNotReuseItAndLeavesNoStaleBinary()
    {
        await BuildCachedImageAsync(await HashAsync());
        var output = Path.Combine(_copy, "out", "tasker");
        Assert.Equal(0, (await PublishAsync("--from-image", _tag, output)).ExitCode);

        // A source change since the image: the publish must compile. The project file is removed (itself a change of
        // the inputs), so the compile fails at once instead of taking minutes; what matters is what it did not do.
        File.Delete(Path.Combine(_copy, "src", "DataExchangeTasker", "DataExchangeTasker.csproj"));
        var run = await PublishAsync("--from-image", _tag, output);

        Assert.NotEqual(0, run.ExitCode);
        Assert.DoesNotContain("copied", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("dotnet publish (NativeAOT", run.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(output, "tasker")), "the previous (stale) binary was left in place");
        Assert.False(File.Exists(Path.Combine(output, "publish-hash")), "the previous publish's hash was left in place");
    }

    [Fact]
    public async Task BuildTaskerImage_SameBinaryAndDockerfile_SkipsTheBuildAndAChangedDockerfileBuildsAgain()
    {
        // Stand-ins for a publish's output, with the hash the publish writes beside it.
        var output = Path.Combine(_copy, "out", "tasker");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "tasker"), "#!/bin/sh\necho image-tasker\n");
        File.SetUnixFileMode(Path.Combine(output, "tasker"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.WriteAllText(Path.Combine(output, "libsodium.so"), "sodium\n");
        File.WriteAllText(Path.Combine(output, "libe_sqlite3.so"), "sqlite\n");
        var hash = await HashAsync();
        File.WriteAllText(Path.Combine(output, "publish-hash"), hash + "\n");

        var first = await BuildImageAsync();
        var second = await BuildImageAsync();
        File.AppendAllText(Path.Combine(_copy, "Dockerfile"), "\n# changed\n");
        var third = await BuildImageAsync();

        Assert.True(first.ExitCode == 0, first.Stdout + first.Stderr);
        Assert.Contains("docker build --target prebuilt", first.Stdout, StringComparison.Ordinal);
        Assert.Contains("tasker --version = image-tasker", first.Stdout, StringComparison.Ordinal);
        Assert.Equal(hash, await LabelAsync("dataexchange.tasker.publish-hash"));
        Assert.True(second.ExitCode == 0, second.Stdout + second.Stderr);
        Assert.Contains("already packages the publish", second.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("docker build", second.Stdout, StringComparison.Ordinal);
        Assert.True(third.ExitCode == 0, third.Stdout + third.Stderr);
        Assert.Contains("docker build --target prebuilt", third.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublishTasker_FromImageWithoutATag_FailsNamingTheOption()
    {
        var run = await PublishAsync("--from-image");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("--from-image needs an image tag", run.Stderr, StringComparison.Ordinal);
    }

    private async Task<string> HashAsync()
    {
        var run = await DockerCli.RunCapturingAsync("bash", ["-c", ". scripts/lib.sh && tasker_publish_hash"], _copy, Deadline, CancellationToken.None);
        Assert.True(run.ExitCode == 0, run.Stderr);
        return run.Stdout.Trim();
    }

    private Task<ProgramResult> PublishAsync(params string[] arguments) =>
        DockerCli.RunCapturingAsync(Path.Combine(_copy, "scripts", "publish-tasker.sh"), arguments, _copy, Deadline, CancellationToken.None);

    private Task<ProgramResult> BuildImageAsync() =>
        DockerCli.RunCapturingAsync(Path.Combine(_copy, "scripts", "build-tasker-image.sh"), ["--no-publish", _tag], _copy, TimeSpan.FromMinutes(5), CancellationToken.None);

    private async Task<string> LabelAsync(string label) =>
        (await DockerCli.RunAsync(null, ["image", "inspect", "-f", $"{{{{ index .Config.Labels \"{label}\" }}}}", _tag], Deadline, CancellationToken.None)).Trim();

    // An image shaped like the tasker image (Dockerfile, target prebuilt), holding stand-ins for the three files.
    private async Task BuildCachedImageAsync(string hash)
    {
        var context = Path.Combine(_copy, "image");
        Directory.CreateDirectory(context);
        File.WriteAllText(Path.Combine(context, "Dockerfile"), $"""
            FROM debian:bookworm-slim
            RUN mkdir -p /opt/dataexchange-tasker && cd /opt/dataexchange-tasker \
                && printf '#!/bin/sh\necho cached-tasker\n' >tasker && chmod +x tasker \
                && echo sodium >libsodium.so && echo sqlite >libe_sqlite3.so
            LABEL dataexchange.tasker.publish-hash={hash}
            """);
        await DockerCli.RunAsync(null, ["build", "-q", "-t", _tag, context], Deadline, CancellationToken.None);
    }

    // What the publish reads (src/ without build outputs, the build files beside it, the api's document), the scripts
    // and the image's Dockerfile, plus a test and a doc that must not count.
    private static void CopyRepositoryInputs(string repository, string copy)
    {
        foreach (var file in Directory.EnumerateFiles(Path.Combine(repository, "src"), "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(repository, file);
            if (relative.Split(Path.DirectorySeparatorChar) is var parts && (parts.Contains("bin") || parts.Contains("obj")))
            {
                continue;
            }

            CopyFile(repository, copy, relative);
        }

        foreach (var relative in Directory.EnumerateFiles(Path.Combine(repository, "scripts")).Select(f => Path.GetRelativePath(repository, f))
                     .Concat(["Directory.Build.props", "Directory.Packages.props", "global.json", ".editorconfig", "protocol/openapi.json", "README.md", "Dockerfile", ".dockerignore"]))
        {
            CopyFile(repository, copy, relative);
        }

        Directory.CreateDirectory(Path.Combine(copy, "tests"));
    }

    private static void CopyFile(string repository, string copy, string relative)
    {
        var target = Path.Combine(copy, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(Path.Combine(repository, relative), target);
        File.SetUnixFileMode(target, File.GetUnixFileMode(Path.Combine(repository, relative)));
    }
}
