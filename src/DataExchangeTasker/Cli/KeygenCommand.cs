using System.CommandLine;
using DataExchangeTasker.Governance.Receipts;
using DataExchangeTasker.Hosting;

namespace DataExchangeTasker.Cli;

/// <summary><c>tasker keygen OUT</c>: writes a new Ed25519 signing key (OUT, mode 0600) and its public key (OUT.pub).</summary>
internal static class KeygenCommand
{
    /// <summary>The command.</summary>
    public static Command Create()
    {
        var output = new Argument<string>("out") { Description = "Private key file to create (never overwritten); the public key goes to OUT.pub." };
        var command = new Command("keygen", "Create the node's receipt signing key (for TASKER_SIGNING_KEY) and print its public key (base64).") { output };
        command.SetAction(async (result, ct) =>
        {
            var path = result.GetValue(output)!;
            try
            {
                using var signer = ReceiptSigner.Generate();
                await WriteNewAsync(path, signer.ExportPrivateKeyPem(), UnixFileMode.UserRead | UnixFileMode.UserWrite, ct).ConfigureAwait(false);
                var publicKey = signer.PublicKeyBase64;
                await WriteNewAsync(path + ".pub", System.Text.Encoding.ASCII.GetBytes(publicKey + "\n"),
                    UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, ct).ConfigureAwait(false);
                Console.WriteLine(publicKey);
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"tasker keygen: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Error;
            }
        });
        return command;
    }

    private static async Task WriteNewAsync(string path, byte[] content, UnixFileMode mode, CancellationToken cancellationToken)
    {
        // CreateNew: an existing key is never replaced (that would orphan every receipt signed with it).
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode };
        await using var stream = new FileStream(path, options);
        await stream.WriteAsync(content, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
