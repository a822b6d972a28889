using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DataExchangeTasker.Configuration;

namespace DataExchangeTasker.Dependencies;

/// <summary>
/// The cache key of an installed <c>requirements.txt</c>: the same requirements on the same image from the same
/// package source install the same packages, so the folder is reused. The wheelhouse is keyed by its listing (name,
/// size, modification time of each wheel), so adding or replacing a wheel leads to a fresh install for new tasks.
/// </summary>
internal static class DependencyKey
{
    /// <summary>The key: hex sha256 over a versioned description of the inputs.</summary>
    /// <param name="requirements">The bytes of <c>requirements.txt</c> (from the code snapshot).</param>
    /// <param name="imageId">The runner image id (<c>sha256:…</c>) the preparation and the run use.</param>
    /// <param name="source">What <see cref="DescribeSource"/> returned.</param>
    public static string Of(byte[] requirements, string imageId, string source)
    {
        ArgumentNullException.ThrowIfNull(requirements);
        var text = "deps-v1\n" + Convert.ToHexStringLower(SHA256.HashData(requirements)) + "\n" + imageId + "\n" + source + "\n";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The package source as part of the key: <c>image</c>, <c>index:&lt;url&gt;</c>, or <c>wheelhouse:&lt;listing hash&gt;</c>.</summary>
    public static string DescribeSource(DependencyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Source switch
        {
            DependencySource.Wheelhouse => "wheelhouse:" + WheelhouseListingHash(options.Wheelhouse!),
            DependencySource.Index => "index:" + options.IndexUrl,
            _ => "image",
        };
    }

    private static string WheelhouseListingHash(string folder)
    {
        var lines = new List<string>();
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{Path.GetRelativePath(folder, file.FullName)}\t{file.Length}\t{file.LastWriteTimeUtc.Ticks}"));
        }

        lines.Sort(StringComparer.Ordinal);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', lines))));
    }
}
