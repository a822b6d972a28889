namespace DataExchangeTasker.Witness;

/// <summary>One event as the kernel queued it (<c>struct fanotify_event_metadata</c> and its pidfd record).</summary>
/// <param name="Mask">What happened (<c>FAN_OPEN</c>, <c>FAN_ACCESS</c>, <c>FAN_Q_OVERFLOW</c>, ...), merged events OR'ed.</param>
/// <param name="Fd">A descriptor of the opened object, which the reader must close; negative for an overflow.</param>
/// <param name="Pid">The process (thread group) that caused the event, as the host sees it.</param>
/// <param name="PidFd">
/// A pidfd of that process, which the reader must close when not negative; <see cref="FanotifyNative.NoPidfd"/>
/// when the process had already been reaped, <see cref="NotReported"/> when the group does not report pidfds.
/// </param>
internal readonly record struct FanotifyEvent(ulong Mask, int Fd, int Pid, int PidFd)
{
    /// <summary>The <see cref="PidFd"/> of a group opened without <c>FAN_REPORT_PIDFD</c> (an older kernel).</summary>
    public const int NotReported = int.MinValue;

    /// <summary>True for the kernel's "events were lost" marker.</summary>
    public bool IsOverflow => (Mask & FanotifyNative.FanQueueOverflow) != 0;
}
