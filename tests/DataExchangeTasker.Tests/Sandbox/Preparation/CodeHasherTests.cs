using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Sandbox.Preparation;

public sealed class CodeHasherTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>The documented definition, written out independently of the implementation.</summary>
    private static string Reference(IEnumerable<(string Relative, byte[] Content)> files) =>
        InGivenOrder(files.OrderBy(f => Encoding.UTF8.GetBytes(f.Relative), Utf8Order.Instance));

    private static string InGivenOrder(IEnumerable<(string Relative, byte[] Content)> files)
    {
        var bytes = new List<byte>();
        foreach (var (relative, content) in files)
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(relative));
            bytes.Add(0);
            var length = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(length, (ulong)content.Length);
            bytes.AddRange(length);
            bytes.AddRange(content);
        }

        return Convert.ToHexStringLower(SHA256.HashData(bytes.ToArray()));
    }

    private static Task<string> Hash(string path) => CodeHasher.HashAsync(path, CancellationToken.None);

    [Fact]
    public async Task HashAsync_ReadmeFolderVector_MatchesDocumentedETag()
    {
        _temp.WriteFile("code/run.py", "print(\"hi\")\n");
        _temp.WriteFile("code/Lib.py", "x = 1\n");
        _temp.WriteFile("code/lib/ü.py", "");

        Assert.Equal("632fab8edc843fc704ff4021bfe54f28763b79892135af77a8808495068232aa", await Hash(_temp.Combine("code")));
    }

    [Fact]
    public async Task HashAsync_ReadmeSingleFileVector_MatchesDocumentedETag()
    {
        var file = _temp.WriteFile("code/run.py", "print(\"hi\")\n");

        Assert.Equal("b65e94bde4490050187493f7107ed24258826ba63cf942e789cde666e0b7b581", await Hash(file));
    }

    [Fact]
    public async Task HashAsync_Folder_MatchesTheDefinitionComputedByHand()
    {
        var files = new (string Relative, byte[] Content)[]
        {
            ("run.py", Encoding.UTF8.GetBytes("import lib.util\nprint(lib.util.f())\n")),
            ("lib/util.py", Encoding.UTF8.GetBytes("def f():\n    return 42\n")),
            ("lib/__init__.py", []),
            ("data/blob.bin", [0, 1, 2, 255, 254, 0]),
            ("a b/ç.py", Encoding.UTF8.GetBytes("# ç\n")),
        };
        foreach (var (relative, content) in files)
        {
            _temp.WriteBytes("code/" + relative, content);
        }

        Assert.Equal(Reference(files), await Hash(_temp.Combine("code")));
    }

    [Fact]
    public async Task HashAsync_LargeFile_MatchesTheDefinition()
    {
        var content = new byte[300_000];
        new Random(7).NextBytes(content);
        _temp.WriteBytes("code/run.py", content);

        Assert.Equal(Reference([("run.py", content)]), await Hash(_temp.Combine("code")));
    }

    [Fact]
    public async Task HashAsync_SortsByUtf8BytesNotUtf16()
    {
        // U+FF61 sorts after U+1F600's high surrogate in UTF-16 but before it in UTF-8.
        const string halfwidth = "\uFF61.py";
        const string emoji = "😀.py";
        Assert.True(string.CompareOrdinal(emoji, halfwidth) < 0);
        _temp.WriteFile("code/" + halfwidth, "a");
        _temp.WriteFile("code/" + emoji, "b");

        var hash = await Hash(_temp.Combine("code"));

        Assert.Equal(Reference([(halfwidth, "a"u8.ToArray()), (emoji, "b"u8.ToArray())]), hash);
        Assert.NotEqual(InGivenOrder([(emoji, "b"u8.ToArray()), (halfwidth, "a"u8.ToArray())]), hash);
    }

    [Fact]
    public async Task HashAsync_SameContentCreatedInDifferentOrder_GivesTheSameHash()
    {
        _temp.WriteFile("one/a.py", "A");
        _temp.WriteFile("one/z/b.py", "B");
        _temp.WriteFile("one/run.py", "R");
        _temp.WriteFile("two/run.py", "R");
        _temp.WriteFile("two/z/b.py", "B");
        _temp.WriteFile("two/a.py", "A");

        Assert.Equal(await Hash(_temp.Combine("one")), await Hash(_temp.Combine("two")));
    }

    [Fact]
    public async Task HashAsync_OneByteChanged_ChangesTheHash()
    {
        _temp.WriteFile("code/run.py", "print(1)\n");
        var before = await Hash(_temp.Combine("code"));

        _temp.WriteFile("code/run.py", "print(2)\n");

        Assert.NotEqual(before, await Hash(_temp.Combine("code")));
    }

    [Fact]
    public async Task HashAsync_FileRenamed_ChangesTheHash()
    {
        _temp.WriteFile("code/run.py", "print(1)\n");
        _temp.WriteFile("code/a.py", "x");
        var before = await Hash(_temp.Combine("code"));

        File.Move(_temp.Combine("code/a.py"), _temp.Combine("code/b.py"));

        Assert.NotEqual(before, await Hash(_temp.Combine("code")));
    }

    [Fact]
    public async Task HashAsync_FileMovedIntoSubfolder_ChangesTheHash()
    {
        _temp.WriteFile("code/a.py", "x");
        var before = await Hash(_temp.Combine("code"));

        _temp.CreateFolder("code/sub");
        File.Move(_temp.Combine("code/a.py"), _temp.Combine("code/sub/a.py"));

        Assert.NotEqual(before, await Hash(_temp.Combine("code")));
    }

    [Fact]
    public async Task HashAsync_BytesMovedBetweenFiles_ChangesTheHash()
    {
        // Without the length prefix, "ab"+"c" and "a"+"bc" would feed the same bytes.
        _temp.WriteFile("one/a.py", "ab");
        _temp.WriteFile("one/b.py", "c");
        _temp.WriteFile("two/a.py", "a");
        _temp.WriteFile("two/b.py", "bc");

        Assert.NotEqual(await Hash(_temp.Combine("one")), await Hash(_temp.Combine("two")));
    }

    [Fact]
    public async Task HashAsync_EmptyFolderAdded_DoesNotChangeTheHash()
    {
        _temp.WriteFile("code/run.py", "print(1)\n");
        var before = await Hash(_temp.Combine("code"));

        _temp.CreateFolder("code/empty/deeper");

        Assert.Equal(before, await Hash(_temp.Combine("code")));
    }

    [Fact]
    public async Task HashAsync_EmptyFolder_IsTheHashOfNothing()
    {
        _temp.CreateFolder("code");

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData([])), await Hash(_temp.Combine("code")));
    }

    [Fact]
    public async Task HashAsync_SingleFile_IsTheEntryNamedByItsFileName()
    {
        var file = _temp.WriteFile("code/tools/count lines.py", "print(len(open(0).readlines()))\n");

        Assert.Equal(Reference([("count lines.py", File.ReadAllBytes(file))]), await Hash(file));
    }

    [Fact]
    public async Task HashAsync_SingleFile_EqualsAFolderHoldingOnlyThatFile()
    {
        var file = _temp.WriteFile("code/run.py", "print(1)\n");

        Assert.Equal(await Hash(_temp.Combine("code")), await Hash(file));
    }

    [Fact]
    public async Task HashAsync_SymlinkToFileInFolder_ThrowsInvalidData()
    {
        _temp.WriteFile("code/run.py", "print(1)\n");
        File.CreateSymbolicLink(_temp.Combine("code/link.py"), _temp.Combine("code/run.py"));

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => Hash(_temp.Combine("code")));

        Assert.Contains("link.py", error.Message, StringComparison.Ordinal);
        Assert.Contains("symbolic link", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HashAsync_SymlinkToFolderOutside_ThrowsInvalidData()
    {
        _temp.WriteFile("outside/secret.py", "x");
        _temp.WriteFile("code/run.py", "print(1)\n");
        Directory.CreateSymbolicLink(_temp.Combine("code/lib"), _temp.Combine("outside"));

        await Assert.ThrowsAsync<InvalidDataException>(() => Hash(_temp.Combine("code")));
    }

    [Fact]
    public async Task HashAsync_DanglingSymlink_ThrowsInvalidData()
    {
        _temp.WriteFile("code/run.py", "print(1)\n");
        File.CreateSymbolicLink(_temp.Combine("code/gone.py"), _temp.Combine("nowhere.py"));

        await Assert.ThrowsAsync<InvalidDataException>(() => Hash(_temp.Combine("code")));
    }

    [Fact]
    public async Task HashAsync_PathItselfASymlink_ThrowsInvalidData()
    {
        _temp.WriteFile("code/run.py", "print(1)\n");
        Directory.CreateSymbolicLink(_temp.Combine("alias"), _temp.Combine("code"));

        await Assert.ThrowsAsync<InvalidDataException>(() => Hash(_temp.Combine("alias")));
    }

    [Fact]
    public async Task HashAsync_MissingPath_ThrowsFileNotFound()
    {
        await Assert.ThrowsAsync<FileNotFoundException>(() => Hash(_temp.Combine("missing")));
    }

    [Fact]
    public async Task HashAsync_Result_IsLowerCaseHexOf64Characters()
    {
        _temp.WriteFile("code/run.py", "print(1)\n");

        var hash = await Hash(_temp.Combine("code"));

        Assert.Matches("^[0-9a-f]{64}$", hash);
    }

    private sealed class Utf8Order : IComparer<byte[]>
    {
        public static readonly Utf8Order Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
