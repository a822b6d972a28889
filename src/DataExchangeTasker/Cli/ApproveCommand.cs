using System.CommandLine;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Governance.Approvals;
using DataExchangeTasker.Hosting;
using DataExchangeTasker.Sandbox.Preparation;

namespace DataExchangeTasker.Cli;

/// <summary><c>tasker approve PATH [--label TEXT] [--approvals-file FILE]</c>: adds the code's hash to the approvals file.</summary>
internal static class ApproveCommand
{
    /// <summary>The command.</summary>
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "Code folder or .py file to approve." };
        var label = new Option<string?>("--label") { Description = "Text kept after the hash (who approved what, and why)." };
        var file = new Option<string?>("--approvals-file") { Description = "Approvals file to append to [default: TASKER_APPROVALS_FILE]." };
        var command = new Command("approve", "Append the code's hash to the approvals file (created if missing; never twice).") { path, label, file };
        command.SetAction(async (result, ct) =>
        {
            var target = result.GetValue(file) ?? Environment.GetEnvironmentVariable(Settings.ApprovalsFile.Name);
            if (string.IsNullOrWhiteSpace(target))
            {
                await Console.Error.WriteLineAsync("tasker approve: no approvals file: pass --approvals-file FILE or set TASKER_APPROVALS_FILE.").ConfigureAwait(false);
                return ExitCodes.InvalidConfiguration;
            }

            try
            {
                var hash = await CodeHasher.HashAsync(result.GetValue(path)!, ct).ConfigureAwait(false);
                var added = await ApprovalFile.AppendAsync(target, hash, result.GetValue(label), ct).ConfigureAwait(false);
                Console.WriteLine(added ? $"approved {hash} in {target}" : $"{hash} is already approved in {target}");
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"tasker approve: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Error;
            }
        });
        return command;
    }
}
