using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Preparation;
using DataExchangeTasker.Tests.Support;

namespace DataExchangeTasker.Tests.Sandbox.Preparation;

/// <summary>Regression tests for inputs that once hung or crashed a worker slot.</summary>
public sealed class NonRegularFileTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task HashAsync_FifoInCodeFolder_ThrowsInvalidDataInsteadOfBlocking()
    {
        _temp.WriteFile("code/run.py", "print(1)\n");
        var fifo = _temp.Combine("code/zz.pipe");
        await ProcessRunner.RunAsync("mkfifo", fifo);

        var hashing = Task.Run(() => CodeHasher.HashAsync(_temp.Combine("code"), CancellationToken.None));
        try
        {
            await Assert.ThrowsAsync<InvalidDataException>(() => hashing.WaitAsync(TimeSpan.FromSeconds(5)));
        }
        finally
        {
            // If the hasher is stuck in open(2) waiting for a writer, opening the FIFO for writing releases it.
            if (!hashing.IsCompleted)
            {
                await Task.Run(() => new FileStream(fifo, FileMode.Open, FileAccess.Write).Dispose()).WaitAsync(TimeSpan.FromSeconds(5));
            }
        }
    }

    [Fact]
    public async Task Resolve_Fifo_IsNotAllowed()
    {
        var root = _temp.CreateFolder("root");
        await ProcessRunner.RunAsync("mkfifo", Path.Combine(root, "pipe"));

        var (path, rejection) = PathResolver.Resolve(root, "pipe", "dataPath", "/tmp/data");

        Assert.Null(path);
        Assert.Equal(Reasons.PathNotAllowed, rejection?.Reason);
    }
}
