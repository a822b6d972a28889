using System.Security.Cryptography;
using System.Text;
using DataExchangeTasker.Governance.Audit;
using DataExchangeTasker.Governance.Receipts;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Tests.Governance.Receipts;
using DataExchangeTasker.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace DataExchangeTasker.Tests.Governance.Audit;

public sealed class AuditLogTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly ReceiptSigner _signer = ReceiptSigner.Generate();
    private readonly ReceiptPublicKey _key;

    public AuditLogTests() => _key = ReceiptPublicKey.Parse(_signer.PublicKeyBase64);

    public void Dispose()
    {
        _signer.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task Verify_TwentyEntries_HoldsWithAndWithoutKey()
    {
        var path = await WriteLogAsync(20);

        Assert.True(AuditLogVerifier.Verify([path], _key).Ok);
        var unsigned = AuditLogVerifier.Verify([path], null);
        Assert.True(unsigned.Ok);
        Assert.Equal(20, unsigned.Lines);
        Assert.Equal(AuditLine.Hash(Encoding.UTF8.GetBytes(File.ReadAllLines(path)[^1])), unsigned.Head);
    }

    [Fact]
    public async Task Verify_AnyLineDeleted_FailsNamingThatLine()
    {
        var path = await WriteLogAsync(20);
        var lines = File.ReadAllLines(path);
        var head = AuditLogVerifier.Verify([path], _key).Head;
        for (var i = 0; i < lines.Length; i++)
        {
            var copy = _temp.Combine($"deleted-{i + 1}.log");
            await File.WriteAllLinesAsync(copy, lines.Where((_, n) => n != i));

            var outcome = AuditLogVerifier.Verify([copy], _key, expectedHead: head);

            Assert.False(outcome.Ok, $"line {i + 1} deleted");
            Assert.Matches($@"\bline {i + 1}\b", outcome.Failure);
        }
    }

    [Fact]
    public async Task Verify_AnyLineEdited_FailsNamingThatLine()
    {
        var path = await WriteLogAsync(20);
        var lines = File.ReadAllLines(path);
        for (var i = 0; i < lines.Length; i++)
        {
            var edited = (string[])lines.Clone();
            edited[i] = edited[i].Replace("\"state\":\"rejected\"", "\"state\":\"success\"", StringComparison.Ordinal)
                .Replace("\"exitCode\":0", "\"exitCode\":1", StringComparison.Ordinal);
            Assert.NotEqual(lines[i], edited[i]);
            var copy = _temp.Combine($"edited-{i + 1}.log");
            await File.WriteAllLinesAsync(copy, edited);

            var outcome = AuditLogVerifier.Verify([copy], _key);

            Assert.False(outcome.Ok, $"line {i + 1} edited");
            Assert.Contains($"line {i + 1}:", outcome.Failure, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Verify_AnyTwoNeighboursSwapped_FailsNamingTheFirst()
    {
        var path = await WriteLogAsync(20);
        var lines = File.ReadAllLines(path);
        for (var i = 0; i < lines.Length - 1; i++)
        {
            var swapped = (string[])lines.Clone();
            (swapped[i], swapped[i + 1]) = (swapped[i + 1], swapped[i]);
            var copy = _temp.Combine($"swapped-{i + 1}.log");
            await File.WriteAllLinesAsync(copy, swapped);

            var outcome = AuditLogVerifier.Verify([copy], null);

            Assert.False(outcome.Ok, $"lines {i + 1} and {i + 2} swapped");
            Assert.Contains($"line {i + 1}:", outcome.Failure, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Verify_EditedAndRechainedWithoutTheKey_FailsOnTheSignature()
    {
        var path = await WriteLogAsync(4);
        var entries = File.ReadAllLines(path).Select(l => AuditLine.Parse(Encoding.UTF8.GetBytes(l))).ToList();
        // An attacker rewrites line 3 (a rejection) and fixes the chain after it, but cannot sign.
        entries[2] = entries[2] with { TaskId = "forged" };
        var prev = AuditLine.Hash(AuditLine.Bytes(entries[0]));
        var rewritten = new List<string> { Encoding.UTF8.GetString(AuditLine.Bytes(entries[0])) };
        foreach (var entry in entries.Skip(1))
        {
            var bytes = AuditLine.Bytes(entry with { Prev = prev });
            rewritten.Add(Encoding.UTF8.GetString(bytes));
            prev = AuditLine.Hash(bytes);
        }

        var copy = _temp.Combine("rechained.log");
        await File.WriteAllLinesAsync(copy, rewritten);

        Assert.True(AuditLogVerifier.Verify([copy], null).Ok);
        Assert.Contains("line 3:", AuditLogVerifier.Verify([copy], _key).Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_TornTail_CutOffAndChainContinues()
    {
        var path = await WriteLogAsync(5);
        var whole = await File.ReadAllBytesAsync(path);
        const string tail = "{\"seq\":6,\"at\":\"2026-11-";
        await File.AppendAllTextAsync(path, tail);

        var torn = AuditLogVerifier.Verify([path], _key);
        Assert.True(torn.Ok);
        Assert.Contains(torn.Notes, n => n.Contains("line 6: torn tail", StringComparison.Ordinal));

        using (var log = AuditLog.Open(path, _signer, null))
        {
            Assert.Equal(tail.Length, log.TornBytesRemoved);
            Assert.Equal(whole, await File.ReadAllBytesAsync(path));
            await log.AppendAsync("after-crash", null, null, NotRun(), CancellationToken.None);
        }

        var outcome = AuditLogVerifier.Verify([path], _key);
        Assert.True(outcome.Ok, outcome.Failure);
        Assert.Equal(6, outcome.Lines);
    }

    [Fact]
    public async Task Verify_LineWithoutNewlineBeforeTheEnd_Fails()
    {
        var first = await WriteLogAsync(2);
        await File.WriteAllTextAsync(first, (await File.ReadAllTextAsync(first)).TrimEnd('\n'));
        var second = _temp.Combine("second.log");
        await File.WriteAllTextAsync(second, "");

        Assert.False(AuditLogVerifier.Verify([first, second], null).Ok);
    }

    [Fact]
    public async Task Open_SecondWriter_Refused()
    {
        var path = _temp.Combine("audit.log");
        using var first = AuditLog.Open(path, null, null);

        Assert.Throws<IOException>(() => AuditLog.Open(path, null, null));
        await first.AppendAsync("t", null, null, NotRun(), CancellationToken.None);
    }

    [Fact]
    public async Task RotateAsync_NewFileContinuesTheChain_BothVerifyTogetherAndAlone()
    {
        var path = await WriteLogAsync(4);

        var moved = await AuditLogRotation.RotateAsync(path, _signer, CancellationToken.None);
        using (var log = AuditLog.Open(path, _signer, null))
        {
            await log.AppendAsync("t-after", null, null, NotRun(), CancellationToken.None);
        }

        var both = AuditLogVerifier.Verify([moved, path], _key);
        Assert.True(both.Ok, both.Failure);
        Assert.Equal(6, both.Lines);
        Assert.True(AuditLogVerifier.Verify([path], _key).Ok);
        Assert.False(AuditLogVerifier.Verify([path, moved], _key).Ok);
    }

    [Fact]
    public async Task AppendAsync_TaskersClock_StampsTheEntryWithIt()
    {
        var at = new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero);
        using var log = AuditLog.Open(_temp.Combine("audit.log"), _signer, null, new FakeTimeProvider(at));

        var entry = await log.AppendAsync("t1", null, null, NotRun(), CancellationToken.None);

        Assert.Equal(at, entry.At);
    }

    [Fact]
    public async Task AppendAsync_FileMovedAwayWhileOpen_ContinuesInNewFile()
    {
        var path = _temp.Combine("audit.log");
        using var log = AuditLog.Open(path, _signer, null);
        await log.AppendAsync("t1", null, null, NotRun(), CancellationToken.None);
        File.Move(path, path + ".1");

        await log.AppendAsync("t2", null, null, NotRun(), CancellationToken.None);

        var both = AuditLogVerifier.Verify([path + ".1", path], _key);
        Assert.True(both.Ok, both.Failure);
        Assert.False(AuditLogVerifier.Verify([path], _key).Ok);
        Assert.True(AuditLogVerifier.Verify([path], _key, expectedFirstPrev: AuditLogVerifier.Verify([path + ".1"], _key).Head).Ok);
    }

    [Fact]
    public async Task AppendAsync_Concurrent_ChainStaysLinear()
    {
        var path = _temp.Combine("audit.log");
        using (var log = AuditLog.Open(path, _signer, null))
        {
            await Task.WhenAll(Enumerable.Range(0, 16).Select(i => log.AppendAsync($"t{i}", null, null, NotRun(), CancellationToken.None)));
        }

        var outcome = AuditLogVerifier.Verify([path], _key);
        Assert.True(outcome.Ok, outcome.Failure);
        Assert.Equal(16, outcome.Lines);
    }

    /// <summary>20 answers: every third a rejection, the others signed receipts.</summary>
    private async Task<string> WriteLogAsync(int count)
    {
        var path = _temp.Combine($"audit-{Guid.NewGuid():N}.log");
        using var log = AuditLog.Open(path, _signer, null);
        for (var i = 1; i <= count; i++)
        {
            if (i % 3 == 0)
            {
                await log.AppendAsync($"t-{i}", null, null, NotRun(), CancellationToken.None);
            }
            else
            {
                var receipt = ReceiptTestData.Receipt($"t-{i}");
                await log.AppendAsync(receipt.TaskId, receipt, _signer.Sign(receipt), null, CancellationToken.None);
            }
        }

        return path;
    }

    private static AuditNotRun NotRun() =>
        new(TaskStates.Rejected, Reasons.NotApproved, Convert.ToHexStringLower(SHA256.HashData("not approved"u8)));
}
