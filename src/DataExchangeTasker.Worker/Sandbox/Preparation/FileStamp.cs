using System.Globalization;

namespace DataExchangeTasker.Sandbox.Preparation;

/// <summary>
/// Type, size and both times (to the nanosecond) of a path as <c>lstat</c> reports them when it was resolved: what
/// the supervisor compares under gVisor, whose kernel numbers devices and inodes itself so that
/// <see cref="FileIdentity"/> cannot match there. The change time is set by the kernel and cannot be set from user
/// space, so another object matches only if it was last changed in the same clock tick and has the same size and
/// modification time.
/// </summary>
/// <param name="Type">As GNU find's <c>%y</c>: <c>f</c> regular file, <c>d</c> folder, <c>l</c> symbolic link, ….</param>
/// <param name="Size">st_size.</param>
/// <param name="Modified">st_mtim: seconds and nanoseconds.</param>
/// <param name="Changed">st_ctim: seconds and nanoseconds.</param>
public sealed record FileStamp(char Type, long Size, (long Seconds, long Nanoseconds) Modified, (long Seconds, long Nanoseconds) Changed)
{
    /// <summary>
    /// <c>"&lt;type&gt; &lt;size&gt; &lt;mtime&gt; &lt;ctime&gt;"</c>, times as <c>seconds.nanoseconds</c> (nine digits): the
    /// supervisor's <c>TASKER_DATA_STAMP</c>, in the form it derives from <c>find -printf '%y %s %T@ %C@'</c>.
    /// </summary>
    public string Text => string.Create(CultureInfo.InvariantCulture,
        $"{Type} {Size} {Modified.Seconds}.{Modified.Nanoseconds:D9} {Changed.Seconds}.{Changed.Nanoseconds:D9}");
}
