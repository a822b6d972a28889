using System.Text;
using Microsoft.Win32.SafeHandles;

namespace DataExchangeTasker.Sandbox;

/// <summary>
/// Reads a file the task could have tampered with: never follows a symbolic link, never blocks on a FIFO,
/// never reads a directory or device, and never holds more than the cap (plus one byte to detect truncation).
/// </summary>
public static class OutputFileReader
{
    /// <summary>The first <paramref name="maxBytes"/> of the regular file at <paramref name="path"/>, as UTF-8.</summary>
    public static async Task<BoundedText> ReadAsync(string path, long maxBytes, CancellationToken cancellationToken)
    {
        var notRegular = new BoundedText($"[tasker: {Path.GetFileName(path)} is not a regular file; not read]", false);
        SafeFileHandle? opened;
        try
        {
            opened = NativeFiles.OpenNoFollow(path);
        }
        catch (IOException)
        {
            // E.g. ENXIO: the task bound a Unix socket at this name.
            return notRegular;
        }

        using var handle = opened;
        if (handle is null)
        {
            // Missing, or a symbolic link the task planted: either way there is nothing of ours to read.
            return File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null
                ? new BoundedText($"[tasker: {Path.GetFileName(path)} was replaced by a symbolic link; not read]", false)
                : BoundedText.Empty;
        }

        // Non-regular entries (FIFO, socket, directory) cannot be read into a result.
        var info = new FileInfo(path);
        if (!info.Exists || (info.Attributes & (FileAttributes.Directory | FileAttributes.Device | FileAttributes.ReparsePoint)) != 0)
        {
            return notRegular;
        }

        // A FIFO or socket passes the check above but is not seekable: RandomAccess throws NotSupportedException.
        long length;
        try
        {
            length = RandomAccess.GetLength(handle);
        }
        catch (NotSupportedException)
        {
            return notRegular;
        }

        var cap = (int)Math.Min(maxBytes, Array.MaxLength - 1);
        var buffer = new byte[Math.Min(cap + 1, Math.Max(length + 1, 1))];
        var total = 0;
        try
        {
            int read;
            while (total < buffer.Length
                   && (read = await RandomAccess.ReadAsync(handle, buffer.AsMemory(total), total, cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
            }
        }
        catch (Exception e) when (e is IOException or NotSupportedException)
        {
            return notRegular;
        }

        var truncated = total > cap || RandomAccess.GetLength(handle) > cap;
        return new BoundedText(Encoding.UTF8.GetString(buffer, 0, Math.Min(total, cap)), truncated);
    }
}
