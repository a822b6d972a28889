using System.Diagnostics;

namespace DataExchangeTasker.Tests.Support;

/// <summary>Runs a small system tool (e.g. <c>mkfifo</c>) and fails the test if it does not succeed.</summary>
public static class ProcessRunner
{
    public static async Task RunAsync(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stderr = await process.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} failed ({process.ExitCode}): {stderr}");
        }
    }
}
