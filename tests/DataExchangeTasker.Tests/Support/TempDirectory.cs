using System.Text;

namespace DataExchangeTasker.Tests.Support;

/// <summary>A fresh folder under the system temp folder, removed (links not followed) on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("tasker-tests-").FullName;
    }

    /// <summary>The folder's absolute path.</summary>
    public string Path { get; }

    /// <summary>Creates (or replaces) a file with UTF-8 <paramref name="text"/>, creating parent folders.</summary>
    public string WriteFile(string relative, string text) => WriteBytes(relative, Encoding.UTF8.GetBytes(text));

    /// <summary>Creates (or replaces) a file with <paramref name="bytes"/>, creating parent folders.</summary>
    public string WriteBytes(string relative, byte[] bytes)
    {
        var full = Combine(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
        return full;
    }

    /// <summary>Creates a folder (and its parents).</summary>
    public string CreateFolder(string relative) => Directory.CreateDirectory(Combine(relative)).FullName;

    /// <summary>The absolute path of <paramref name="relative"/> inside this folder.</summary>
    public string Combine(string relative) => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder must not fail a test.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}
