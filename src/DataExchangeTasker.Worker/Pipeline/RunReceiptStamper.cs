using DataExchangeTasker.Governance.Receipts;
using DataExchangeTasker.Messaging;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Collection;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Sandbox.Run;

namespace DataExchangeTasker.Pipeline;

/// <summary>
/// Builds and signs the <see cref="RunReceipt"/> of a task that ran, from the same values that went into its done
/// message, and puts it (with its signature) on the done message. One per process, only when the node signs.
/// </summary>
internal sealed class RunReceiptStamper(ReceiptSigner signer, string taskerId, bool hashDataContent)
{
    /// <summary>
    /// Fingerprints the task's data; called before the container starts so the receipt describes what was mounted.
    /// </summary>
    public async Task<DataFingerprint> FingerprintAsync(PreparedTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        var fingerprint = await DataFingerprinter.ComputeAsync(task.Data.HostPath, hashDataContent, cancellationToken).ConfigureAwait(false);
        if (task.Data.Identity is { } identity && ((ulong)fingerprint.Device != identity.Device || (ulong)fingerprint.Inode != identity.Inode))
        {
            // The supervisor refuses a swapped mount (path_changed); the receipt must not describe another object either.
            throw new InvalidDataException($"The data at \"{task.Data.HostPath}\" changed after it was resolved.");
        }

        return fingerprint;
    }

    /// <summary>
    /// The done message with <see cref="DoneMessage.Receipt"/> and <see cref="DoneMessage.ReceiptSignature"/> set,
    /// or unchanged when nothing of the code ran (no results and no container output).
    /// </summary>
    public DoneMessage Stamp(DoneMessage done, InboundDelivery delivery, PreparedTask task, ContainerRun run, DataFingerprint data)
    {
        ArgumentNullException.ThrowIfNull(done);
        ArgumentNullException.ThrowIfNull(delivery);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(run);
        if (done.State == TaskStates.Rejected)
        {
            return done;
        }

        var results = run.Results;
        var limits = task.Limits;
        var receipt = new RunReceipt(
            RunReceipt.CurrentVersion,
            done.TaskId,
            taskerId,
            ThisAssembly.Version,
            delivery.BodySha256,
            task.Snapshot.Hash,
            run.ImageId ?? "",
            data,
            new ReceiptLimits((long)limits.Timeout.TotalSeconds, limits.MemoryBytes, limits.Cpus, limits.Pids),
            run.ContainerSpecSha256 ?? "",
            done.StartedAt,
            done.FinishedAt,
            done.State,
            done.Reason,
            done.ExitCode,
            (results?.Stdout ?? CollectedStream.Missing).Digest,
            (results?.Stderr ?? CollectedStream.Missing).Digest,
            (results?.Strace ?? CollectedStream.Missing).Digest,
            done.TraceSummary is { } summary ? ReceiptJson.Sha256Of(summary) : null,
            [.. (done.OutputFiles ?? []).Select(f => new OutputFileDigest(f.Path, f.Size, f.Sha256))])
        {
            Witness = ReceiptWitness.Of(done.TraceSummary?.Witness ?? run.Witness ?? WitnessSummary.NotWatched("no witness was asked for this run")),
        };
        return done with { Receipt = receipt, ReceiptSignature = signer.Sign(receipt) };
    }
}
