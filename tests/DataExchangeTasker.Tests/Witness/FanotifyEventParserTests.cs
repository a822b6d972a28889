using System.Runtime.InteropServices;
using DataExchangeTasker.Witness;

namespace DataExchangeTasker.Tests.Witness;

public sealed class FanotifyEventParserTests
{
    /// <summary>One event as the kernel lays it out; <paramref name="pidFd"/> null: no pidfd record.</summary>
    private static byte[] Event(ulong mask, int fd, int pid, int? pidFd, byte version = FanotifyEventParser.MetadataVersion)
    {
        var length = FanotifyEventParser.MetadataLength + (pidFd is null ? 0 : 8);
        var bytes = new byte[length];
        MemoryMarshal.Write(bytes, (uint)length);
        bytes[4] = version;
        MemoryMarshal.Write(bytes.AsSpan(6), (ushort)FanotifyEventParser.MetadataLength);
        MemoryMarshal.Write(bytes.AsSpan(8), mask);
        MemoryMarshal.Write(bytes.AsSpan(16), fd);
        MemoryMarshal.Write(bytes.AsSpan(20), pid);
        if (pidFd is { } value)
        {
            bytes[24] = FanotifyNative.EventInfoTypePidfd;
            MemoryMarshal.Write(bytes.AsSpan(26), (ushort)8);
            MemoryMarshal.Write(bytes.AsSpan(28), value);
        }

        return bytes;
    }

    [Fact]
    public void Parse_EventsWithPidfdRecords_ReadsEachEventsFields()
    {
        var buffer = Event(FanotifyNative.FanOpen | FanotifyNative.FanAccess, 7, 1234, 9).Concat(Event(FanotifyNative.FanOpen, 8, 1235, FanotifyNative.NoPidfd)).ToArray();
        var events = new List<FanotifyEvent>();

        FanotifyEventParser.Parse(buffer, pidFdsReported: true, events);

        Assert.Equal([new FanotifyEvent(0x21, 7, 1234, 9), new FanotifyEvent(0x20, 8, 1235, -1)], events);
    }

    [Fact]
    public void Parse_OverflowWithoutRecord_IsOverflowWithNoPidfd()
    {
        var events = new List<FanotifyEvent>();

        FanotifyEventParser.Parse(Event(FanotifyNative.FanQueueOverflow, -1, 0, null), pidFdsReported: true, events);

        var overflow = Assert.Single(events);
        Assert.True(overflow.IsOverflow);
        Assert.Equal(FanotifyNative.NoPidfd, overflow.PidFd);
    }

    [Fact]
    public void Parse_GroupWithoutPidfdReporting_MarksPidfdNotReported()
    {
        var events = new List<FanotifyEvent>();

        FanotifyEventParser.Parse(Event(FanotifyNative.FanOpen, 5, 42, null), pidFdsReported: false, events);

        Assert.Equal(FanotifyEvent.NotReported, Assert.Single(events).PidFd);
    }

    [Fact]
    public void Parse_UnknownVersionAfterAGoodEvent_ThrowsWithTheGoodEventKept()
    {
        var buffer = Event(FanotifyNative.FanOpen, 7, 1, 3).Concat(Event(FanotifyNative.FanOpen, 8, 2, 4, version: 2)).ToArray();
        var events = new List<FanotifyEvent>();

        Assert.Throws<InvalidDataException>(() => FanotifyEventParser.Parse(buffer, pidFdsReported: true, events));
        Assert.Equal(7, Assert.Single(events).Fd);
    }

    [Fact]
    public void Parse_LengthPastTheBuffer_Throws()
    {
        var buffer = Event(FanotifyNative.FanOpen, 7, 1, 3)[..20];

        Assert.Throws<InvalidDataException>(() => FanotifyEventParser.Parse(buffer, pidFdsReported: true, []));
    }
}
