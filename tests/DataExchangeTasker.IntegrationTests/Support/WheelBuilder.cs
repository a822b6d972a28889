using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// Builds a pure-Python wheel by hand (a zip with the package, METADATA, WHEEL and RECORD): no network and no build
/// tool is needed, and the test knows exactly what pip installs.
/// </summary>
public static class WheelBuilder
{
    /// <summary>Writes <c>&lt;module&gt;-&lt;version&gt;-py3-none-any.whl</c> into <paramref name="folder"/> and returns its path.</summary>
    /// <param name="distribution">The distribution name, e.g. <c>tasker-probe</c> (the module is it with '_').</param>
    /// <param name="initPy">The package's <c>__init__.py</c>.</param>
    /// <param name="requires">Requires-Dist lines.</param>
    public static string Write(string folder, string distribution, string version, string initPy, params string[] requires)
    {
        var module = distribution.Replace('-', '_');
        var info = $"{module}-{version}.dist-info";
        var files = new List<(string Name, byte[] Bytes)>
        {
            ($"{module}/__init__.py", Encoding.UTF8.GetBytes(initPy)),
            ($"{info}/METADATA", Encoding.UTF8.GetBytes($"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n" + string.Concat(requires.Select(r => $"Requires-Dist: {r}\n")))),
            ($"{info}/WHEEL", Encoding.UTF8.GetBytes("Wheel-Version: 1.0\nGenerator: dataexchange-tasker-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n")),
        };
        var record = new StringBuilder();
        foreach (var (name, bytes) in files)
        {
            var hash = Convert.ToBase64String(SHA256.HashData(bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            record.Append(name).Append(",sha256=").Append(hash).Append(',').Append(bytes.Length).Append('\n');
        }

        record.Append(info).Append("/RECORD,,\n");
        files.Add(($"{info}/RECORD", Encoding.UTF8.GetBytes(record.ToString())));

        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"{module}-{version}-py3-none-any.whl");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, bytes) in files)
        {
            using var entry = zip.CreateEntry(name).Open();
            entry.Write(bytes);
        }

        return path;
    }
}
