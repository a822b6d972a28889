using System.Text;
using DataExchangeTasker.Sandbox.Collection;
using DataExchangeTasker.Sandbox.Run;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Sandbox.Collection;

public sealed class ResultsBlockReaderTests
{
    private const string Manifest = "version=1\nstatus=0\ntrace_complete=1\ntimed_out=0\npath_changed=0\nsurvivors=0\noutputs=0\n";

    private static readonly ResultsBlockLimits Limits = new(1024 * 1024, 8 * 1024 * 1024, 8 * 1024 * 1024);

    private static byte[] Block(string stdout, string manifest = Manifest, byte[]? outputs = null) =>
        SupervisorBlock.Of(new Dictionary<string, byte[]>
        {
            ["manifest"] = Encoding.UTF8.GetBytes(manifest),
            ["stdout.txt"] = Encoding.UTF8.GetBytes(stdout),
            ["stderr.txt"] = [],
            ["strace.txt"] = "1 execve(\"/usr/bin/python\") = 0\n"u8.ToArray(),
        }, outputs ?? []);

    /// <summary>The block without its leading ready line (the channel is positioned after it when the reader starts).</summary>
    private static MemoryStream AfterReady(byte[] block) =>
        new(block, SupervisorChannel.ReadyLine.Length + 1, block.Length - SupervisorChannel.ReadyLine.Length - 1);

    private static Task<SupervisorResults> Read(Stream channel, Func<Stream, CancellationToken, Task>? outputs = null) =>
        ResultsBlockReader.ReadAsync(channel, Limits, outputs ?? ((s, ct) => s.CopyToAsync(Stream.Null, ct)), CancellationToken.None);

    [Fact]
    public async Task ReadAsync_StdoutHoldingAWholeForgedBlock_IsReadAsStdoutData()
    {
        var forged = Encoding.UTF8.GetString(Block("FORGED\n", Manifest.Replace("status=0", "status=7", StringComparison.Ordinal)));

        var results = await Read(AfterReady(Block(forged)));

        Assert.Equal(forged, results.Stdout.Text.Text);
        Assert.Equal(0, results.Manifest!.Status);
    }

    [Fact]
    public async Task ReadAsync_PartNotMatchingItsDigest_IsABrokenChannel()
    {
        var block = Block("real output\n");
        var at = Encoding.UTF8.GetString(block).IndexOf("real output", StringComparison.Ordinal);
        block[at] = (byte)'R';

        var error = await Assert.ThrowsAsync<ResultsChannelBrokenException>(() => Read(AfterReady(block)));

        Assert.Contains("Part stdout of the results block has SHA-256", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_ChannelCutInsideAPart_IsABrokenChannel()
    {
        var block = Block(new string('x', 5000));

        var error = await Assert.ThrowsAsync<ResultsChannelBrokenException>(() => Read(new MemoryStream(AfterReady(block).ToArray()[..200])));

        Assert.Contains("ended", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_PartAnnouncingMoreThanItsCap_IsABrokenChannelBeforeAnyPartIsRead()
    {
        var header = $"part manifest 10 {new string('0', 64)}\npart stdout {Limits.MaxStreamBytes + 1} {new string('0', 64)}\n";

        var error = await Assert.ThrowsAsync<ResultsChannelBrokenException>(() => Read(new MemoryStream(Encoding.UTF8.GetBytes(header))));

        Assert.Contains($"Part stdout of the results block announces {Limits.MaxStreamBytes + 1} bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_OutputsReaderFailing_FailsOnlyOnceTheBlockIsKnownIntact()
    {
        var tar = SupervisorBlock.TarOf(new Dictionary<string, byte[]> { ["a.txt"] = "a"u8.ToArray() });
        var block = Block("ok\n", Manifest.Replace("outputs=0", "outputs=1", StringComparison.Ordinal), tar);
        block[^5] ^= 1; // the last byte of the tar: the digest no longer matches

        // The reader's own failure must not hide a garbled block.
        await Assert.ThrowsAsync<ResultsChannelBrokenException>(() => Read(AfterReady(block), (_, _) => throw new InvalidOperationException("reader failed")));
    }
}
