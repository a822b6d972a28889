using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using DataExchangeTasker.Sandbox.Run;

namespace DataExchangeTasker.Tests.Support;

/// <summary>Builds what the runner's supervisor writes on its results channel (protocol version 2), for fakes and tests.</summary>
public static class SupervisorBlock
{
    /// <summary>The ready line and the results block for these files of /run/tasker and this tar of /tmp/out (empty: none).</summary>
    public static byte[] Of(IReadOnlyDictionary<string, byte[]> runTasker, byte[] outputsTar)
    {
        var parts = new (string Name, byte[] Bytes)[]
        {
            ("manifest", runTasker.GetValueOrDefault("manifest") ?? []),
            ("stdout", runTasker.GetValueOrDefault("stdout.txt") ?? []),
            ("stderr", runTasker.GetValueOrDefault("stderr.txt") ?? []),
            ("strace", runTasker.GetValueOrDefault("strace.txt") ?? []),
            ("outputs", outputsTar),
        };
        using var block = new MemoryStream();
        var head = new StringBuilder(SupervisorChannel.ReadyLine + "\n");
        foreach (var (name, bytes) in parts)
        {
            head.Append("part ").Append(name).Append(' ').Append(bytes.Length).Append(' ').Append(Convert.ToHexStringLower(SHA256.HashData(bytes))).Append('\n');
        }

        head.Append("data\n");
        block.Write(Encoding.UTF8.GetBytes(head.ToString()));
        foreach (var (_, bytes) in parts)
        {
            block.Write(bytes);
        }

        block.Write("end\n"u8);
        return block.ToArray();
    }

    /// <summary>A tar of <paramref name="files"/> as GNU tar -C dir . makes it: the folder first, then ./name entries.</summary>
    public static byte[] TarOf(IReadOnlyDictionary<string, byte[]> files, bool asFolder = true)
    {
        using var archive = new MemoryStream();
        using (var writer = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
        {
            if (asFolder)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "./"));
            }

            foreach (var (name, bytes) in files.OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, asFolder ? "./" + name : name) { DataStream = new MemoryStream(bytes) });
            }
        }

        return archive.ToArray();
    }
}
