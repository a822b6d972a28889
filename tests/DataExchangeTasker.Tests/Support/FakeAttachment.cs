using DataExchangeTasker.Docker;

namespace DataExchangeTasker.Tests.Support;

/// <summary>An attach to a <see cref="FakeContainer"/>: its stdout from the moment of the attach, its stdin to <paramref name="stdin"/>.</summary>
public sealed class FakeAttachment(FakeStdoutStream stdout, Action<byte[]> stdin) : IContainerAttachment
{
    public Stream Stdout => stdout;

    public Task WriteStdinAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        stdin(bytes.ToArray());
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        stdout.Complete();
        return ValueTask.CompletedTask;
    }
}
