using System.Text.Json;
using DataExchangeTasker.Governance.Receipts;

namespace DataExchangeTasker.Governance.Audit;

/// <summary>
/// Checks audit log files (<see cref="AuditLog"/>), given oldest first: every line is a canonical audit entry,
/// its <c>prev</c> is the SHA-256 of the line before it (across files), <c>seq</c> goes up by one, and, with a
/// public key, every line's signature and every receipt's signature hold. The first line of the first file must
/// have the genesis <c>prev</c> (64 zeros), be a rotation header (<c>continuesFrom</c>), or match
/// <c>expectedFirstPrev</c>. A final line without a newline is a torn tail (a write cut short by a crash): it is
/// reported and ignored, and is an error anywhere else. Deleting the last lines of a log cannot be seen from the
/// log alone: pass the head recorded elsewhere as <c>expectedHead</c>.
/// </summary>
public static class AuditLogVerifier
{
    /// <summary>Verifies <paramref name="files"/> as one chain.</summary>
    public static AuditVerification Verify(IReadOnlyList<string> files, ReceiptPublicKey? publicKey, string? expectedFirstPrev = null, string? expectedHead = null)
    {
        var notes = new List<string>();
        string? prev = null;
        long seq = 0;
        var lines = 0;
        for (var f = 0; f < files.Count; f++)
        {
            var file = files[f];
            byte[] content;
            try
            {
                content = File.ReadAllBytes(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return AuditVerification.Failed($"{file}: cannot be read ({e.Message})", lines, notes);
            }

            var number = 0;
            var offset = 0;
            while (offset < content.Length)
            {
                number++;
                var newline = Array.IndexOf(content, (byte)'\n', offset);
                var where = $"{file} line {number}";
                if (newline < 0)
                {
                    if (f < files.Count - 1)
                    {
                        return AuditVerification.Failed($"{where}: has no newline but is not the end of the last file", lines, notes);
                    }

                    notes.Add($"{where}: torn tail of {content.Length - offset} bytes (a write cut short by a crash) ignored; the tasker removes it when it next opens the log");
                    break;
                }

                var line = content.AsSpan(offset, newline - offset);
                offset = newline + 1;
                var problem = CheckLine(line, prev, seq, publicKey, expectedFirstPrev, out var entry);
                if (problem is not null)
                {
                    return AuditVerification.Failed($"{where}: {problem}", lines, notes);
                }

                if (prev is null && entry!.Prev != AuditEntry.Genesis)
                {
                    notes.Add($"{where}: continues an earlier log whose last line hashes to {entry.Prev}" + (entry.ContinuesFrom is { } from ? $" (moved to {from})" : ""));
                }

                prev = AuditLine.Hash(line);
                seq = entry!.Seq;
                lines++;
            }
        }

        if (expectedHead is not null && !string.Equals(prev, expectedHead, StringComparison.OrdinalIgnoreCase))
        {
            return AuditVerification.Failed(
                $"line {lines + 1} of the chain (seq {seq + 1}) is missing: the last line hashes to {prev ?? "nothing"}, expected head {expectedHead}", lines, notes);
        }

        return new AuditVerification(true, null, lines, prev, notes);
    }

    private static string? CheckLine(ReadOnlySpan<byte> line, string? prev, long seq, ReceiptPublicKey? publicKey, string? expectedFirstPrev, out AuditEntry? entry)
    {
        entry = null;
        try
        {
            entry = AuditLine.Parse(line);
        }
        catch (JsonException e)
        {
            return $"not an audit entry ({e.Message})";
        }

        if (!line.SequenceEqual(AuditLine.Bytes(entry)))
        {
            return "not in canonical form (edited by hand?)";
        }

        if (prev is null)
        {
            var allowed = entry.Prev == AuditEntry.Genesis || entry.ContinuesFrom is not null
                || string.Equals(entry.Prev, expectedFirstPrev, StringComparison.OrdinalIgnoreCase);
            if (!allowed)
            {
                return $"prev is {entry.Prev} but the first line of a log must have 64 zeros, be a rotation header, or match --prev (a line before it was removed?)";
            }
        }
        else if (entry.Prev != prev)
        {
            return $"prev {entry.Prev} does not match the hash of the line before it ({prev}): a line was edited, removed or moved";
        }
        else if (entry.Seq != seq + 1)
        {
            return $"seq {entry.Seq} does not follow {seq}";
        }

        if (entry.TaskId is null && entry.ContinuesFrom is null)
        {
            return "has neither a taskId nor continuesFrom";
        }

        if (entry.Receipt is not null && entry.Receipt.TaskId != entry.TaskId)
        {
            return $"taskId {entry.TaskId} differs from the receipt's {entry.Receipt.TaskId}";
        }

        if (publicKey is null)
        {
            return null;
        }

        if (entry.Signature is null || !publicKey.Verifies(AuditLine.SignedBytes(entry), entry.Signature))
        {
            return entry.Signature is null ? "is not signed" : "its signature does not verify with the given public key";
        }

        if (entry.Receipt is not null && (entry.ReceiptSignature is null || !publicKey.Verifies(entry.Receipt, entry.ReceiptSignature)))
        {
            return "its receipt's signature does not verify with the given public key";
        }

        return null;
    }
}
