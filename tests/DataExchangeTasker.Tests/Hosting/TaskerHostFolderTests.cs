using DataExchangeTasker.Configuration;
using DataExchangeTasker.Hosting;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Hosting;

/// <summary>The folders the tasker creates at start-up, and the answer when it cannot.</summary>
public sealed class TaskerHostFolderTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public void PrepareFolders_AllCreatable_CreatesEachWithItsMode()
    {
        var (sandbox, deps) = Options(_temp.Combine("deps"));

        TaskerHost.PrepareFolders(sandbox, deps);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(sandbox.WorkRoot));
        Assert.True(Directory.Exists(deps.Root));
        Assert.Equal((UnixFileMode)0, File.GetUnixFileMode(deps.Root) & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute | UnixFileMode.GroupWrite));
    }

    [Fact]
    public void PrepareFolders_DepsRootThatCannotBeCreated_IsAConfigurationErrorNamingTheSetting()
    {
        // Below a regular file: fails for root too (a non-root tasker meets the same with an unwritable /var/lib).
        var file = _temp.WriteFile("not-a-folder", "x");
        var (sandbox, deps) = Options(Path.Combine(file, "deps"));

        var error = Assert.Throws<ConfigurationException>(() => TaskerHost.PrepareFolders(sandbox, deps));

        Assert.StartsWith($"TASKER_DEPS_ROOT=\"{file}/deps\" is invalid: expected a folder the tasker's user can create and write", Assert.Single(error.Errors), StringComparison.Ordinal);
    }

    public void Dispose() => _temp.Dispose();

    private (SandboxOptions Sandbox, DependencyOptions Deps) Options(string depsRoot) =>
        (TestOptions.Sandbox(_temp.Combine("code"), _temp.Combine("data"), _temp.Combine("work")), DependencyOptions.Default with { Root = depsRoot });
}
