using System.CommandLine;
using DataExchangeTasker.Hosting;
using DataExchangeTasker.Sandbox.Preparation;

namespace DataExchangeTasker.Cli;

/// <summary><c>tasker hash &lt;path&gt;</c>: prints the code's eTag for a start message's <c>codeHash</c>.</summary>
internal static class HashCommand
{
    /// <summary>The command.</summary>
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "Code folder or .py file to hash." };
        var command = new Command("hash", "Print the content hash (codeHash.eTag) of a code folder or file.") { path };
        command.SetAction(async (result, ct) =>
        {
            var target = result.GetValue(path)!;
            try
            {
                Console.WriteLine(await CodeHasher.HashAsync(target, ct).ConfigureAwait(false));
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"tasker hash: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Error;
            }
        });
        return command;
    }
}
