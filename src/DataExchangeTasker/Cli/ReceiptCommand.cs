using System.CommandLine;
using DataExchangeTasker.Governance.Receipts;
using DataExchangeTasker.Hosting;

namespace DataExchangeTasker.Cli;

/// <summary><c>tasker receipt verify DONE.json --public-key KEY</c>: checks a done message's signed receipt.</summary>
internal static class ReceiptCommand
{
    /// <summary>The command (with its <c>verify</c> subcommand).</summary>
    public static Command Create()
    {
        var done = new Argument<FileInfo>("done") { Description = "A done message (JSON) with receipt and receiptSignature." };
        var key = new Option<string>("--public-key") { Description = "The node's public key: base64 (as tasker keygen prints it) or a file holding it.", Required = true };
        var verify = new Command("verify", "Exit 0 only if the receipt's signature and every hash that can be checked hold.") { done, key };
        verify.SetAction(async (result, ct) =>
        {
            try
            {
                var publicKey = ReceiptPublicKey.Parse(result.GetValue(key)!);
                var bytes = await File.ReadAllBytesAsync(result.GetValue(done)!.FullName, ct).ConfigureAwait(false);
                var outcome = ReceiptVerifier.Verify(bytes, publicKey);
                foreach (var line in outcome.Checked)
                {
                    Console.WriteLine($"ok           {line}");
                }

                foreach (var line in outcome.NotChecked)
                {
                    Console.WriteLine($"not checked  {line}");
                }

                foreach (var line in outcome.Failures)
                {
                    Console.WriteLine($"FAIL         {line}");
                }

                Console.WriteLine(outcome.Ok ? "receipt verifies" : "receipt does NOT verify");
                return outcome.Ok ? ExitCodes.Ok : ExitCodes.Error;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"tasker receipt verify: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Error;
            }
        });
        return new Command("receipt", "Signed run receipts.") { verify };
    }
}
