using System.Globalization;
using DataExchangeTasker.Governance.Receipts;

namespace DataExchangeTasker.Governance.Audit;

/// <summary>
/// Starts a new audit log file that continues the chain of the current one (<c>tasker audit rotate</c>): the current
/// file is renamed to <c>FILE.&lt;first seq of the new file&gt;</c> and a new FILE is created whose first line is a
/// rotation header with <c>prev</c> = the hash of the old file's last line and <c>continuesFrom</c> = the old file's
/// name. Run it while the tasker is stopped: it refuses a log another process holds open.
/// </summary>
public static class AuditLogRotation
{
    /// <summary>Rotates <paramref name="path"/>; returns the name the old lines were moved to.</summary>
    /// <exception cref="IOException">The log is in use, or cannot be read, renamed or created.</exception>
    public static async Task<string> RotateAsync(string path, ReceiptSigner? signer, CancellationToken cancellationToken)
    {
        string head;
        long seq;
        // Opening takes the log's lock (so a running tasker makes this fail) and cuts a torn tail first.
        using (var old = AuditLog.Open(path, signer, log: null))
        {
            (head, seq) = (old.Head, old.LastSeq);
            if (seq == 0)
            {
                throw new IOException($"The audit log \"{path}\" is empty; there is nothing to rotate.");
            }

            var target = path + "." + (seq + 1).ToString(CultureInfo.InvariantCulture);
            if (File.Exists(target))
            {
                throw new IOException($"\"{target}\" already exists.");
            }

            File.Move(path, target);
            using var fresh = AuditLog.Open(path, signer, log: null);
            await fresh.AppendRotationHeaderAsync(Path.GetFileName(target), head, seq, cancellationToken).ConfigureAwait(false);
            return target;
        }
    }
}
