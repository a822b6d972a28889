using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using DataExchangeTasker.Sandbox.Collection;

namespace DataExchangeTasker.Tests.Sandbox.Collection;

public sealed class SupervisorArchiveReaderTests
{
    private const string Manifest = "version=1\nstatus=0\ntrace_complete=1\ntimed_out=0\npath_changed=0\nsurvivors=0\n";

    private static MemoryStream Archive(params TarEntry[] entries)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Gnu, leaveOpen: true))
        {
            foreach (var entry in entries)
            {
                writer.WriteEntry(entry);
            }
        }

        stream.Position = 0;
        return stream;
    }

    private static GnuTarEntry File(string name, string text) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) };

    private static string Sha(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public async Task ReadAsync_AllFourEntries_ReturnsStreamsDigestsAndManifest()
    {
        using var archive = Archive(File("manifest", Manifest), File("stdout.txt", "out\n"), File("stderr.txt", "err\n"), File("strace.txt", "11 +++ exited with 0 +++\n"));

        var results = await SupervisorArchiveReader.ReadAsync(archive, 1024, CancellationToken.None);

        Assert.Equal(new BoundedText("out\n", false), results.Stdout.Text);
        Assert.Equal(new BoundedText("err\n", false), results.Stderr.Text);
        Assert.Equal("11 +++ exited with 0 +++\n", results.Strace.Text.Text);
        Assert.Equal(Sha("out\n"), results.Stdout.Sha256);
        Assert.Equal(4, results.Stdout.Length);
        Assert.NotNull(results.Manifest);
        Assert.True(results.Manifest.TraceComplete);
        Assert.Equal(0, results.Manifest.Status);
    }

    [Fact]
    public async Task ReadAsync_StreamOverLimit_KeepsTheLimitAndHashesEverything()
    {
        var big = new string('x', 10_000);
        using var archive = Archive(File("./stdout.txt", big), File("./manifest", Manifest));

        var results = await SupervisorArchiveReader.ReadAsync(archive, 100, CancellationToken.None);

        Assert.Equal(new BoundedText(new string('x', 100), true), results.Stdout.Text);
        Assert.Equal(10_000, results.Stdout.Length);
        Assert.Equal(Sha(big), results.Stdout.Sha256);
    }

    [Fact]
    public async Task ReadAsync_ArchiveApiFolderPrefix_IsAccepted()
    {
        using var archive = Archive(File("tasker/stdout.txt", "hi"), File("tasker/manifest", Manifest));

        var results = await SupervisorArchiveReader.ReadAsync(archive, 1024, CancellationToken.None);

        Assert.Equal("hi", results.Stdout.Text.Text);
        Assert.NotNull(results.Manifest);
    }

    [Fact]
    public async Task ReadAsync_LinksAndMissingEntries_AreNotRead()
    {
        using var archive = Archive(
            new GnuTarEntry(TarEntryType.SymbolicLink, "stdout.txt") { LinkName = "/etc/shadow" },
            new GnuTarEntry(TarEntryType.HardLink, "stderr.txt") { LinkName = "strace.txt" });

        var results = await SupervisorArchiveReader.ReadAsync(archive, 1024, CancellationToken.None);

        Assert.Same(CollectedStream.Missing, results.Stdout);
        Assert.Same(CollectedStream.Missing, results.Stderr);
        Assert.Same(CollectedStream.Missing, results.Strace);
        Assert.Null(results.Manifest);
        Assert.Equal(CollectedStream.EmptySha256, Sha(""));
    }

    [Fact]
    public async Task ReadAsync_OversizedManifest_Throws()
    {
        using var archive = Archive(File("manifest", Manifest + new string('#', SupervisorManifest.MaxBytes)));

        await Assert.ThrowsAsync<InvalidDataException>(() => SupervisorArchiveReader.ReadAsync(archive, 1024, CancellationToken.None));
    }
}
