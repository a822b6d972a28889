using System.Formats.Tar;
using System.Security.Cryptography;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Sandbox;

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
        Assert.Empty(result.Refused);
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
        Assert.Equal(["./link", "./hard", "./fifo", "./null", "./disk"], result.Refused);
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
        Assert.Equal([name], result.Refused);
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

        Assert.Equal(["./etc"], result.Refused);
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
        Assert.Empty(result.Refused);
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
}
