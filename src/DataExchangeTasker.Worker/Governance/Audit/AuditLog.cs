using System.Runtime.InteropServices;
using DataExchangeTasker.Governance.Receipts;
using DataExchangeTasker.Protocol;
using Microsoft.Win32.SafeHandles;
using Serilog;

namespace DataExchangeTasker.Governance.Audit;

/// <summary>
/// The append-only, hash-chained audit log (<c>TASKER_AUDIT_LOG</c>): one JSON line per start message answered,
/// each holding the SHA-256 of the line before it. <c>AppendAsync</c> writes the whole line with one
/// <c>write(2)</c> on an <c>O_APPEND</c> descriptor and <c>fsync</c>s before returning, so the caller publishes the
/// done message only after its line is on disk. A kill -9 can at worst leave a final line without its newline
/// (a torn tail); opening the log cuts such a tail off (and logs it) before anything is appended, so the chain never
/// continues from half a line. One writer at a time (an OFD lock); readers are never blocked. When the file is renamed away
/// (<c>tasker audit rotate</c>, or by hand) the next append notices and continues the chain in a new file at the
/// original path.
/// </summary>
internal sealed partial class AuditLog : IDisposable
{
    private readonly string _path;
    private readonly ReceiptSigner? _signer;
    private readonly ILogger? _log;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SafeFileHandle _handle;
    private FileStatus _identity;
    private string _prev;
    private long _seq;

    private AuditLog(string path, ReceiptSigner? signer, ILogger? log, OpenedFile opened, TimeProvider time)
    {
        _time = time;
        _path = path;
        _signer = signer;
        _log = log;
        (_handle, _identity, _prev, _seq) = (opened.Handle, opened.Identity, opened.Prev ?? AuditEntry.Genesis, opened.Seq);
    }

    /// <summary>The log file.</summary>
    public string Path => _path;

    /// <summary>SHA-256 of the last line written (what the next line's <c>prev</c> will be).</summary>
    public string Head => _prev;

    /// <summary>Seq of the last line written (0 before the first).</summary>
    public long LastSeq => _seq;

    /// <summary>Bytes of a torn final line cut off when the log was opened (0 when the tail was whole).</summary>
    public long TornBytesRemoved { get; private set; }

    /// <summary>
    /// Opens (creating, mode 0600) the log at <paramref name="path"/>, cutting off a torn tail. Lines are signed
    /// with <paramref name="signer"/> when given.
    /// </summary>
    /// <exception cref="IOException">The file cannot be opened, another process holds it, or its last line is not an audit entry.</exception>
    public static AuditLog Open(string path, ReceiptSigner? signer, ILogger? log, TimeProvider? time = null)
    {
        var opened = OpenFile(path, log);
        return new AuditLog(path, signer, log, opened, time ?? TimeProvider.System) { TornBytesRemoved = opened.TornBytes };
    }

    /// <summary>Appends and fsyncs the line for one answered task; returns the entry as written.</summary>
    public Task<AuditEntry> AppendAsync(string? taskId, RunReceipt? receipt, string? receiptSignature, AuditNotRun? notRun, CancellationToken cancellationToken) =>
        AppendAsync(taskId, receipt, receiptSignature, notRun, null, cancellationToken);

    /// <summary>As the other overload; <paramref name="witness"/> is the run's witness method (null: no container ran).</summary>
    public async Task<AuditEntry> AppendAsync(string? taskId, RunReceipt? receipt, string? receiptSignature, AuditNotRun? notRun, string? witness, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var entry = new AuditEntry(_seq + 1, _time.GetUtcNow(), taskId, receipt, receiptSignature, notRun, null, "", null) { Witness = witness };
            return await WriteAsync(entry, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Appends a rotation header (the first line of a new file that continues an old one).</summary>
    internal async Task<AuditEntry> AppendRotationHeaderAsync(string continuesFrom, string prev, long lastSeq, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            (_prev, _seq) = (prev, lastSeq);
            var entry = new AuditEntry(_seq + 1, _time.GetUtcNow(), null, null, null, null, continuesFrom, "", null);
            return await WriteAsync(entry, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<AuditEntry> WriteAsync(AuditEntry unchained, CancellationToken cancellationToken)
    {
        ReopenIfRotated();
        var entry = unchained with { Prev = _prev };
        if (_signer is not null)
        {
            entry = entry with { Signature = _signer.Sign(AuditLine.SignedBytes(entry)) };
        }

        var bytes = AuditLine.Bytes(entry);
        var line = new byte[bytes.Length + 1];
        bytes.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        var handle = _handle;
        await Task.Run(() => WriteWholeLine(handle, line), cancellationToken).ConfigureAwait(false);
        _prev = AuditLine.Hash(bytes);
        _seq = entry.Seq;
        return entry;
    }

    private void ReopenIfRotated()
    {
        var current = FileStatus.Of(_path, followLink: true);
        if (current is not null && current.Device == _identity.Device && current.Inode == _identity.Inode)
        {
            return;
        }

        var opened = OpenFile(_path, _log);
        _handle.Dispose();
        _handle = opened.Handle;
        _identity = opened.Identity;
        if (opened.Prev is not null)
        {
            // The new file already has lines (e.g. a rotation header): continue from its last one.
            (_prev, _seq) = (opened.Prev, opened.Seq);
        }

        _log?.Information("Audit log {Path:l} was rotated; continuing the chain in the new file after seq {Seq}", _path, _seq);
    }

    private static void WriteWholeLine(SafeFileHandle handle, byte[] line)
    {
        var written = 0;
        while (written < line.Length)
        {
            // One write(2) for the whole line: O_APPEND makes it land at the end in one piece. A short write (disk
            // full) leaves a torn tail that the next Open removes; the exception stops the done message.
            var n = Native.Write(handle, line.AsSpan(written));
            if (n < 0)
            {
                throw new IOException($"write to the audit log failed with errno {Marshal.GetLastPInvokeError()}");
            }

            written += (int)n;
        }

        if (Native.fsync(handle) != 0)
        {
            throw new IOException($"fsync of the audit log failed with errno {Marshal.GetLastPInvokeError()}");
        }
    }

    private static OpenedFile OpenFile(string path, ILogger? log)
    {
        const int oRdWr = 0x2, oCreat = 0x40, oAppend = 0x400, oCloExec = 0x80000;
        var fd = Native.open(path, oRdWr | oCreat | oAppend | oCloExec, Convert.ToInt32("600", 8));
        if (fd < 0)
        {
            throw new IOException($"Cannot open the audit log \"{path}\" (errno {Marshal.GetLastPInvokeError()}).");
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            if (!Native.TryLockExclusive(handle))
            {
                throw new IOException($"The audit log \"{path}\" is in use by another writer (errno {Marshal.GetLastPInvokeError()}); one tasker per audit log.");
            }

            var length = RandomAccess.GetLength(handle);
            var end = LastNewlineEnd(handle, length);
            long torn = length - end;
            if (torn > 0)
            {
                if (Native.ftruncate(handle, end) != 0 || Native.fsync(handle) != 0)
                {
                    throw new IOException($"Cannot cut the torn tail of the audit log \"{path}\" (errno {Marshal.GetLastPInvokeError()}).");
                }

                log?.Warning("Audit log {Path:l}: removed a torn last line of {Bytes} bytes (a write cut short by a crash); the chain continues from the line before it", path, torn);
            }

            string? prev = null;
            long seq = 0;
            if (end > 0)
            {
                var last = ReadLastLine(handle, end);
                try
                {
                    seq = AuditLine.Parse(last).Seq;
                }
                catch (System.Text.Json.JsonException e)
                {
                    throw new IOException($"The last line of the audit log \"{path}\" is not an audit entry ({e.Message}); run tasker audit verify and rotate the file before starting.", e);
                }

                prev = AuditLine.Hash(last);
            }

            var identity = FileStatus.Of(path, followLink: true) ?? throw new IOException($"The audit log \"{path}\" vanished while it was opened.");
            return new OpenedFile(handle, identity, prev, seq, torn);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Offset just after the last '\n' (0 when there is none).</summary>
    private static long LastNewlineEnd(SafeFileHandle handle, long length)
    {
        var buffer = new byte[64 * 1024];
        var position = length;
        while (position > 0)
        {
            var size = (int)Math.Min(buffer.Length, position);
            position -= size;
            var read = RandomAccess.Read(handle, buffer.AsSpan(0, size), position);
            var index = buffer.AsSpan(0, read).LastIndexOf((byte)'\n');
            if (index >= 0)
            {
                return position + index + 1;
            }
        }

        return 0;
    }

    /// <summary>The bytes of the line that ends at <paramref name="end"/> (just after its newline), without the newline.</summary>
    private static byte[] ReadLastLine(SafeFileHandle handle, long end)
    {
        var start = LastNewlineEnd(handle, end - 1);
        var line = new byte[end - 1 - start];
        var read = 0;
        while (read < line.Length)
        {
            read += RandomAccess.Read(handle, line.AsSpan(read), start + read);
        }

        return line;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _handle.Dispose();
        _gate.Dispose();
    }

    private sealed record OpenedFile(SafeFileHandle Handle, FileStatus Identity, string? Prev, long Seq, long TornBytes);

    private static partial class Native
    {
        public static unsafe nint Write(SafeFileHandle handle, ReadOnlySpan<byte> bytes)
        {
            fixed (byte* p = bytes)
            {
                return write(handle, p, (nuint)bytes.Length);
            }
        }

        [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int open(string path, int flags, int mode);

        [LibraryImport("libc", SetLastError = true)]
        internal static unsafe partial nint write(SafeFileHandle fd, byte* buffer, nuint count);

        [LibraryImport("libc", SetLastError = true)]
        internal static partial int fsync(SafeFileHandle fd);

        /// <summary>
        /// An open-file-description write lock on the whole file (<c>F_OFD_SETLK</c>). Not <c>flock</c>: .NET takes
        /// shared flock locks for every FileStream, so readers (tasker audit verify) would be refused.
        /// </summary>
        public static unsafe bool TryLockExclusive(SafeFileHandle handle)
        {
            const int ofdSetLock = 37;
            const short writeLock = 1;
            // struct flock on 64-bit Linux: l_type i16, l_whence i16, (pad), l_start i64, l_len i64 (0: whole file), l_pid i32 (0 for OFD locks).
            var buffer = stackalloc byte[32];
            new Span<byte>(buffer, 32).Clear();
            *(short*)buffer = writeLock;
            return fcntl(handle, ofdSetLock, buffer) == 0;
        }

        [LibraryImport("libc", SetLastError = true)]
        internal static unsafe partial int fcntl(SafeFileHandle fd, int command, byte* argument);

        [LibraryImport("libc", SetLastError = true)]
        internal static partial int ftruncate(SafeFileHandle fd, long length);
    }
}
