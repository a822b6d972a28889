using System.Formats.Tar;
using System.Security.Cryptography;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Collection;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Sandbox.Collection;

public sealed class OutputArchiveExtractorTests : IDisposable
{
    private static readonly OutputLimits Generous = new(1000, 1L << 30);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Destination => _temp.Combine("task-1");

    private static MemoryStream Archive(params TarEntry[] entries)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Gnu, leaveOpen: true))
        {
            writer.WriteEntry(new GnuTarEntry(TarEntryType.Directory, "./"));
            foreach (var entry in entries)
            {
                writer.WriteEntry(entry);
            }
        }

        stream.Position = 0;
        return stream;
    }

    private static GnuTarEntry File(string name, byte[] bytes) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes) };

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private Task<ExtractedOutputs> ExtractAsync(Stream archive, OutputLimits? limits = null) =>
        OutputArchiveExtractor.ExtractAsync(archive, Destination, limits ?? Generous, CancellationToken.None);

    [Fact]
    public async Task ExtractAsync_200Files_StoresEachWithSizeAndSha256()
    {
        var written = Enumerable.Range(0, 200).Select(i => ($"./dir{i % 7}/file{i}.bin", RandomNumberGenerator.GetBytes(i * 13))).ToList();
        using var archive = Archive(written.Select(w => (TarEntry)File(w.Item1, w.Item2)).ToArray());

        var result = await ExtractAsync(archive);

        Assert.False(result.Truncated);
        Assert.Equal(RefusedOutputs.None, result.Refused);
        Assert.Equal(
            written.Select(w => new OutputFile(w.Item1[2..], w.Item2.Length, Sha(w.Item2))),
            result.Files);
        foreach (var (name, bytes) in written)
        {
            Assert.Equal(bytes, await System.IO.File.ReadAllBytesAsync(Path.Combine(Destination, name[2..])));
        }
    }

    [Fact]
    public async Task ExtractAsync_Permissions_AreOwnerAndGroupOnly()
    {
        using var archive = Archive(new GnuTarEntry(TarEntryType.Directory, "./sub/"), File("./sub/a.txt", [1, 2, 3]));

        await ExtractAsync(archive);

        const UnixFileMode folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;
        Assert.Equal(folder, System.IO.File.GetUnixFileMode(Destination));
        Assert.Equal(folder, System.IO.File.GetUnixFileMode(Path.Combine(Destination, "sub")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, System.IO.File.GetUnixFileMode(Path.Combine(Destination, "sub", "a.txt")));
    }

    [Fact]
    public async Task ExtractAsync_LinksDevicesAndFifos_AreRefusedAndNothingLeaks()
    {
        using var archive = Archive(
            new GnuTarEntry(TarEntryType.SymbolicLink, "./link") { LinkName = "/etc/shadow" },
            new GnuTarEntry(TarEntryType.HardLink, "./hard") { LinkName = "/etc/passwd" },
            new GnuTarEntry(TarEntryType.Fifo, "./fifo"),
            new GnuTarEntry(TarEntryType.CharacterDevice, "./null") { DeviceMajor = 1, DeviceMinor = 3 },
            new GnuTarEntry(TarEntryType.BlockDevice, "./disk") { DeviceMajor = 8, DeviceMinor = 0 },
            File("./ok.txt", [42]));

        var result = await ExtractAsync(archive);

        Assert.True(result.Truncated);
        Assert.Equal(
            [("link", "symbolic_link"), ("hard", "hard_link"), ("fifo", "special_file"), ("null", "special_file"), ("disk", "special_file")],
            result.Refused.Entries.Select(r => (r.Path, r.Reason)));
        Assert.Equal("ok.txt", Assert.Single(result.Files).Path);
        Assert.Equal(["ok.txt"], Directory.EnumerateFileSystemEntries(Destination).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("./../escape.txt")]
    [InlineData("./sub/../../escape.txt")]
    [InlineData("/tmp/escape.txt")]
    [InlineData("./a//b.txt")]
    public async Task ExtractAsync_UnsafeName_IsRefused(string name)
    {
        using var archive = Archive(File(name, [1]));

        var result = await ExtractAsync(archive);

        Assert.Empty(result.Files);
        Assert.Equal([new RefusedOutput(name.StartsWith("./", StringComparison.Ordinal) ? name[2..] : name, RefusalReasons.UnsafeName)], result.Refused.Entries);
        Assert.False(System.IO.File.Exists(_temp.Combine("escape.txt")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Destination));
    }

    [Fact]
    public async Task ExtractAsync_FileUnderARefusedLinkName_LandsInARealFolderOfOurOwn()
    {
        using var archive = Archive(
            new GnuTarEntry(TarEntryType.SymbolicLink, "./etc") { LinkName = "/etc" },
            File("./etc/tasker-test-planted", [1]));

        var result = await ExtractAsync(archive);

        Assert.Equal([new RefusedOutput("etc", RefusalReasons.SymbolicLink)], result.Refused.Entries);
        Assert.Equal("etc/tasker-test-planted", Assert.Single(result.Files).Path);
        Assert.Equal(FileAttributes.Directory, System.IO.File.GetAttributes(Path.Combine(Destination, "etc")) & (FileAttributes.Directory | FileAttributes.ReparsePoint));
        Assert.False(System.IO.File.Exists("/etc/tasker-test-planted"));
    }

    [Fact]
    public async Task ExtractAsync_SameNameTwice_KeepsTheFirst()
    {
        using var archive = Archive(File("./a.txt", [1]), File("./a.txt", [2, 2]));

        var result = await ExtractAsync(archive);

        Assert.Equal(1, Assert.Single(result.Files).Size);
        Assert.Equal([1], await System.IO.File.ReadAllBytesAsync(Path.Combine(Destination, "a.txt")));
        Assert.True(result.Truncated);
    }

    [Fact]
    public async Task ExtractAsync_PastFileLimit_DropsTheRestAndSaysTruncated()
    {
        using var archive = Archive(Enumerable.Range(0, 5).Select(i => (TarEntry)File($"./f{i}", [1])).ToArray());

        var result = await ExtractAsync(archive, new OutputLimits(3, 1000));

        Assert.True(result.Truncated);
        Assert.Equal(["f0", "f1", "f2"], result.Files.Select(f => f.Path));
        Assert.Equal([new RefusedOutput("f3", RefusalReasons.FilesLimit), new RefusedOutput("f4", RefusalReasons.FilesLimit)], result.Refused.Entries);
        Assert.Equal(3, Directory.EnumerateFiles(Destination).Count());
    }

    [Fact]
    public async Task ExtractAsync_PastTotalSize_DropsWhatDoesNotFitWhole()
    {
        using var archive = Archive(File("./a", new byte[60]), File("./b", new byte[50]), File("./c", new byte[40]));

        var result = await ExtractAsync(archive, new OutputLimits(1000, 100));

        Assert.True(result.Truncated);
        Assert.Equal(["a", "c"], result.Files.Select(f => f.Path));
        Assert.Equal(100, result.Files.Sum(f => f.Size));
    }

    [Fact]
    public async Task ExtractAsync_EmptyOutFolder_CreatesAnEmptyFolder()
    {
        using var archive = Archive();

        var result = await ExtractAsync(archive);

        Assert.Empty(result.Files);
        Assert.False(result.Truncated);
        Assert.True(Directory.Exists(Destination));
    }
    [Fact]
    public async Task ExtractAsync_FoldersPastTheFilesLimit_CountLikeFilesAndNoEmptyFolderIsMade()
    {
        var folders = Enumerable.Range(0, 10).Select(i => (TarEntry)new GnuTarEntry(TarEntryType.Directory, $"./empty{i}/")).ToArray();
        using var archive = Archive([.. folders, File("./result.txt", [1])]);

        var result = await ExtractAsync(archive, new OutputLimits(4, 1L << 20));

        Assert.True(result.Truncated);
        Assert.Empty(result.Files);
        Assert.Equal(7, result.Refused.Count);
        Assert.All(result.Refused.Entries, r => Assert.Equal(RefusalReasons.FilesLimit, r.Reason));
        Assert.Equal("result.txt", result.Refused.Entries[^1].Path);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Destination));
    }

    [Fact]
    public async Task ExtractAsync_Folders_CountTheirMetadataTowardTheSizeLimit()
    {
        using var archive = Archive(
            new GnuTarEntry(TarEntryType.Directory, "./a/"), new GnuTarEntry(TarEntryType.Directory, "./b/"), File("./a/x", new byte[100]), File("./b/y", new byte[10]));

        var result = await ExtractAsync(archive, new OutputLimits(1000, (2 * OutputArchiveExtractor.FolderBytes) + 50));

        Assert.Equal(["b/y"], result.Files.Select(f => f.Path));
        Assert.Equal([new RefusedOutput("a/x", RefusalReasons.SizeLimit)], result.Refused.Entries);
        Assert.False(Directory.Exists(Path.Combine(Destination, "a")));
    }

    [Fact]
    public async Task ExtractAsync_NamesThatAreNotUtf8_AreRefusedAndEscapedSoEachStaysDistinct()
    {
        var longOdd = Enumerable.Repeat((byte)0xFE, 150).Concat("/in.txt"u8.ToArray()).ToArray();
        using var archive = RawArchive(
            ([.. "./"u8, 0xFE, .. ".txt"u8], (byte)'0'),
            ([.. "./"u8, 0xFF, .. ".txt"u8], (byte)'0'),
            ([.. @"./back\slash"u8, 0xC3], (byte)'0'),
            ([.. "./"u8, .. longOdd], (byte)'0'),
            ("./fine-\u00e9.txt"u8.ToArray(), (byte)'0'));

        var result = await ExtractAsync(archive);

        Assert.Equal(
            [@"\xfe.txt", @"\xff.txt", @"back\\slash\xc3", string.Concat(Enumerable.Repeat(@"\xfe", 150)) + "/in.txt"],
            result.Refused.Entries.Select(r => r.Path));
        Assert.All(result.Refused.Entries, r => Assert.Equal(RefusalReasons.NameNotUtf8, r.Reason));
        Assert.Equal(["fine-\u00e9.txt"], result.Files.Select(f => f.Path));
        Assert.Equal(["fine-\u00e9.txt"], Directory.EnumerateFileSystemEntries(Destination).Select(Path.GetFileName));
    }

    [Fact]
    public async Task ExtractAsync_PaxPathThatIsNotUtf8_IsReadFromTheExtendedHeader()
    {
        byte[] path = [.. "./pax-"u8, 0xFE, .. ".txt"u8];
        var record = System.Text.Encoding.ASCII.GetBytes(" path=").Concat(path).Append((byte)'\n').ToArray();
        var length = record.Length + 2;
        record = [.. System.Text.Encoding.ASCII.GetBytes(length.ToString(System.Globalization.CultureInfo.InvariantCulture)), .. record];
        var stream = new MemoryStream();
        stream.Write(Header("./PaxHeaders/x"u8.ToArray(), (byte)'x', record.Length, posix: true));
        var data = new byte[(record.Length + 511) / 512 * 512];
        record.CopyTo(data, 0);
        stream.Write(data);
        stream.Write(Header("./placeholder"u8.ToArray(), (byte)'0', 1, posix: true));
        stream.Write(new byte[512]);
        stream.Write(new byte[1024]);
        stream.Position = 0;

        var result = await ExtractAsync(stream);

        Assert.Empty(result.Files);
        Assert.Equal([new RefusedOutput(@"pax-\xfe.txt", RefusalReasons.NameNotUtf8)], result.Refused.Entries);
    }

    [Fact]
    public async Task ExtractAsync_PathPastWhatTheHostTakes_IsRefusedAndNoFolderOfItStays()
    {
        var deep = string.Join('/', Enumerable.Range(0, 24).Select(i => $"d{i:00}" + new string('x', 197)));
        var tooLongSegment = new string('n', 256);
        using var archive = Archive(File($"./{deep}/bottom.txt", [1]), File($"./{tooLongSegment}", [2]), File("./ok.txt", [3]));

        var result = await ExtractAsync(archive);

        Assert.Equal(["ok.txt"], result.Files.Select(f => f.Path));
        Assert.Equal([RefusalReasons.NameTooLong, RefusalReasons.NameTooLong], result.Refused.Entries.Select(r => r.Reason));
        Assert.EndsWith("/bottom.txt", result.Refused.Entries[0].Path, StringComparison.Ordinal);
        Assert.Equal(EscapedPath.MaxLength, result.Refused.Entries[0].Path.Length);
        Assert.Equal(["ok.txt"], Directory.EnumerateFileSystemEntries(Destination).Select(Path.GetFileName));
    }

    [Fact]
    public async Task ExtractAsync_FileUnderAFile_IsRefusedAsTheHostCannotMakeIt()
    {
        using var archive = Archive(File("./a", [1]), File("./a/b", [2]));

        var result = await ExtractAsync(archive);

        Assert.Equal(["a"], result.Files.Select(f => f.Path));
        Assert.Equal([new RefusedOutput("a/b", RefusalReasons.HostRefused)], result.Refused.Entries);
    }

    [Fact]
    public async Task ExtractAsync_MoreRefusedThanListed_CountsAllAndListsTheFirst()
    {
        using var archive = Archive(Enumerable.Range(0, 250).Select(i => (TarEntry)new GnuTarEntry(TarEntryType.SymbolicLink, $"./l{i}") { LinkName = "x" }).ToArray());

        var result = await ExtractAsync(archive);

        Assert.Equal(250, result.Refused.Count);
        Assert.Equal(RefusedOutputs.MaxEntries, result.Refused.Entries.Count);
        Assert.Equal("l0", result.Refused.Entries[0].Path);
    }

    /// <summary>
    /// A GNU tar archive with names given as raw bytes (System.Formats.Tar writes names as UTF-8 only): names over 100
    /// bytes get a GNU long name entry, as GNU tar writes them.
    /// </summary>
    private static MemoryStream RawArchive(params (byte[] Name, byte Type)[] entries)
    {
        var stream = new MemoryStream();
        foreach (var (name, type) in entries)
        {
            if (name.Length > 100)
            {
                stream.Write(Header("././@LongLink"u8.ToArray(), (byte)'L', name.Length + 1));
                var data = new byte[(name.Length + 1 + 511) / 512 * 512];
                name.CopyTo(data, 0);
                stream.Write(data);
            }

            stream.Write(Header(name.Length > 100 ? name[..100] : name, type, type == (byte)'0' ? 1 : 0));
            if (type == (byte)'0')
            {
                var data = new byte[512];
                data[0] = 7;
                stream.Write(data);
            }
        }

        stream.Write(new byte[1024]);
        stream.Position = 0;
        return stream;
    }

    private static byte[] Header(byte[] name, byte type, long size, bool posix = false)
    {
        var header = new byte[512];
        name.CopyTo(header, 0);
        void Octal(int offset, int length, long value) =>
            System.Text.Encoding.ASCII.GetBytes(Convert.ToString(value, 8).PadLeft(length - 1, '0')).CopyTo(header, offset);
        Octal(100, 8, 420);
        Octal(108, 8, 0);
        Octal(116, 8, 0);
        Octal(124, 12, size);
        Octal(136, 12, 0);
        header[156] = type;
        (posix ? "ustar\u000000"u8 : "ustar  \0"u8).CopyTo(header.AsSpan(257));
        "        "u8.CopyTo(header.AsSpan(148));
        var sum = header.Sum(b => (int)b);
        System.Text.Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(header, 148);
        return header;
    }
}
