using System.CommandLine;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Governance.Audit;
using DataExchangeTasker.Governance.Receipts;
using DataExchangeTasker.Hosting;

namespace DataExchangeTasker.Cli;

/// <summary><c>tasker audit verify FILE... [--public-key KEY]</c> and <c>tasker audit rotate FILE</c>.</summary>
internal static class AuditCommand
{
    /// <summary>The command (with its subcommands).</summary>
    public static Command Create() => new("audit", "The tamper-evident audit log (TASKER_AUDIT_LOG).") { Verify(), Rotate() };

    private static Command Verify()
    {
        var files = new Argument<string[]>("files") { Description = "Audit log files, oldest first (rotated files, then the current one).", Arity = ArgumentArity.OneOrMore };
        var key = new Option<string?>("--public-key") { Description = "The node's public key: also check every line's and every receipt's signature." };
        var prev = new Option<string?>("--prev") { Description = "Expected prev of the first line (the head of an earlier file not given here)." };
        var head = new Option<string?>("--expect-head") { Description = "Hash the last line must have (a head recorded elsewhere): detects lines cut off the end." };
        var command = new Command("verify", "Exit 0 when the chain (and with --public-key the signatures) hold; else 1, naming the first bad line.") { files, key, prev, head };
        command.SetAction(result =>
        {
            try
            {
                var publicKey = result.GetValue(key) is { } k ? ReceiptPublicKey.Parse(k) : null;
                var outcome = AuditLogVerifier.Verify(result.GetValue(files)!, publicKey, result.GetValue(prev), result.GetValue(head));
                foreach (var note in outcome.Notes)
                {
                    Console.WriteLine($"note: {note}");
                }

                if (!outcome.Ok)
                {
                    Console.WriteLine($"FAIL: {outcome.Failure}");
                    return ExitCodes.Error;
                }

                Console.WriteLine($"ok: {outcome.Lines} lines, chain{(publicKey is null ? "" : " and signatures")} hold; head {outcome.Head ?? AuditEntry.Genesis}");
                return ExitCodes.Ok;
            }
            catch (InvalidDataException e)
            {
                Console.Error.WriteLine($"tasker audit verify: {e.Message}");
                return ExitCodes.InvalidConfiguration;
            }
        });
        return command;
    }

    private static Command Rotate()
    {
        var file = new Argument<string>("file") { Description = "The audit log (TASKER_AUDIT_LOG)." };
        var key = new Option<string?>("--signing-key") { Description = "Key that signs the new file's header [default: TASKER_SIGNING_KEY]." };
        var command = new Command("rotate", "With the tasker stopped: move FILE to FILE.<seq> and start FILE with a header that continues the chain.") { file, key };
        command.SetAction(async (result, ct) =>
        {
            try
            {
                var keyFile = result.GetValue(key) ?? Environment.GetEnvironmentVariable(Settings.SigningKey.Name);
                using var signer = string.IsNullOrWhiteSpace(keyFile) ? null : ReceiptSigner.Load(keyFile);
                var moved = await AuditLogRotation.RotateAsync(result.GetValue(file)!, signer, ct).ConfigureAwait(false);
                Console.WriteLine($"moved the old lines to {moved}; verify both with: tasker audit verify {moved} {result.GetValue(file)}");
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"tasker audit rotate: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Error;
            }
        });
        return command;
    }
}
