using System.Text;
using DataExchangeTasker.Sandbox;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Sandbox;

public sealed class OutputFileReaderTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static Task<BoundedText> Read(string path, long cap) =>
        Task.Run(() => OutputFileReader.ReadAsync(path, cap, CancellationToken.None)).WaitAsync(Limit);

    [Fact]
    public async Task ReadAsync_FileWithinCap_ReturnsAllTextNotTruncated()
    {
        var path = _temp.WriteFile("stdout.txt", "Average fortune: 1.0 of 4 people\nGrüße 😀\n");

        var text = await Read(path, 1024);

        Assert.Equal("Average fortune: 1.0 of 4 people\nGrüße 😀\n", text.Text);
        Assert.False(text.Truncated);
    }

    [Fact]
    public async Task ReadAsync_FileExactlyAtCap_IsNotTruncated()
    {
        var path = _temp.WriteFile("stdout.txt", new string('a', 100));

        var text = await Read(path, 100);

        Assert.Equal(100, text.Text.Length);
        Assert.False(text.Truncated);
    }

    [Fact]
    public async Task ReadAsync_FileOverCap_ReturnsTheFirstCapBytesTruncated()
    {
        var path = _temp.WriteFile("stdout.txt", "0123456789" + new string('x', 5000));

        var text = await Read(path, 10);

        Assert.Equal("0123456789", text.Text);
        Assert.True(text.Truncated);
    }

    [Fact]
    public async Task ReadAsync_FileOneByteOverCap_IsTruncated()
    {
        var path = _temp.WriteFile("stdout.txt", new string('a', 101));

        var text = await Read(path, 100);

        Assert.Equal(new string('a', 100), text.Text);
        Assert.True(text.Truncated);
    }

    [Fact]
    public async Task ReadAsync_LargeFile_ReadsCompletelyUpToCap()
    {
        var content = string.Concat(Enumerable.Range(0, 50_000).Select(i => (i % 10).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var path = _temp.WriteFile("strace.txt", content);

        var text = await Read(path, 1024 * 1024);

        Assert.Equal(content, text.Text);
        Assert.False(text.Truncated);
    }

    [Fact]
    public async Task ReadAsync_EmptyFile_ReturnsEmptyText()
    {
        var path = _temp.WriteFile("stderr.txt", "");

        var text = await Read(path, 1024);

        Assert.Equal("", text.Text);
        Assert.False(text.Truncated);
    }

    [Fact]
    public async Task ReadAsync_InvalidUtf8_IsDecodedWithReplacementCharacters()
    {
        var path = _temp.WriteBytes("stdout.txt", [(byte)'a', 0xff, (byte)'b']);

        var text = await Read(path, 1024);

        Assert.Equal("a\uFFFDb", text.Text);
    }

    [Fact]
    public async Task ReadAsync_SymlinkToEtcPasswd_IsNotRead()
    {
        var path = _temp.Combine("stdout.txt");
        File.CreateSymbolicLink(path, "/etc/passwd");
        Assert.Contains("root:", await File.ReadAllTextAsync("/etc/passwd"), StringComparison.Ordinal);

        var text = await Read(path, 1024 * 1024);

        Assert.DoesNotContain("root:", text.Text, StringComparison.Ordinal);
        Assert.Equal("[tasker: stdout.txt was replaced by a symbolic link; not read]", text.Text);
        Assert.False(text.Truncated);
    }

    [Fact]
    public async Task ReadAsync_DanglingSymlink_IsNotRead()
    {
        var path = _temp.Combine("stderr.txt");
        File.CreateSymbolicLink(path, _temp.Combine("nowhere"));

        var text = await Read(path, 1024);

        Assert.Equal("[tasker: stderr.txt was replaced by a symbolic link; not read]", text.Text);
    }

    [Fact]
    public async Task ReadAsync_SymlinkToHostFileInSameFolder_IsNotRead()
    {
        var secret = _temp.WriteFile("secret.txt", "top secret");
        var path = _temp.Combine("strace.txt");
        File.CreateSymbolicLink(path, secret);

        var text = await Read(path, 1024);

        Assert.DoesNotContain("top secret", text.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_Fifo_DoesNotBlock()
    {
        var path = _temp.Combine("stdout.txt");
        await ProcessRunner.RunAsync("mkfifo", path);

        var reading = Task.Run(() => OutputFileReader.ReadAsync(path, 1024, CancellationToken.None));

        // WhenAny completes whether the read succeeded or threw; WaitAsync throws TimeoutException if it blocks.
        var finished = await Task.WhenAny(reading).WaitAsync(Limit);

        Assert.True(finished.IsCompletedSuccessfully, finished.Exception?.ToString());
    }

    [Fact]
    public async Task ReadAsync_Fifo_ReturnsTheNotRegularMarker()
    {
        var path = _temp.Combine("stdout.txt");
        await ProcessRunner.RunAsync("mkfifo", path);

        var text = await Read(path, 1024);

        Assert.Equal("[tasker: stdout.txt is not a regular file; not read]", text.Text);
        Assert.False(text.Truncated);
    }

    [Fact]
    public async Task ReadAsync_Directory_IsNotRead()
    {
        var path = _temp.CreateFolder("stdout.txt");
        _temp.WriteFile("stdout.txt/inner", "inner text");

        var text = await Read(path, 1024);

        Assert.Equal("[tasker: stdout.txt is not a regular file; not read]", text.Text);
        Assert.False(text.Truncated);
    }

    [Fact]
    public async Task ReadAsync_MissingFile_ReturnsEmpty()
    {
        var text = await Read(_temp.Combine("stdout.txt"), 1024);

        Assert.Same(BoundedText.Empty, text);
    }

    [Fact]
    public async Task ReadAsync_MissingFolder_ReturnsEmpty()
    {
        var text = await Read(_temp.Combine("gone/stdout.txt"), 1024);

        Assert.Equal(BoundedText.Empty, text);
    }

    [Fact]
    public async Task ReadAsync_CapOfZero_ReturnsNothingButReportsTruncation()
    {
        var path = _temp.WriteFile("stdout.txt", "abc");

        var text = await Read(path, 0);

        Assert.Equal("", text.Text);
        Assert.True(text.Truncated);
    }

    [Fact]
    public async Task ReadAsync_CutInsideAMultiByteCharacter_DoesNotThrow()
    {
        var path = _temp.WriteBytes("stdout.txt", Encoding.UTF8.GetBytes("aü"));

        var text = await Read(path, 2);

        Assert.True(text.Truncated);
        Assert.StartsWith("a", text.Text, StringComparison.Ordinal);
    }
}
