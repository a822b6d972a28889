using System.CommandLine;

namespace DataExchangeTasker.Cli;

/// <summary>Entry point of the <c>tasker</c> binary.</summary>
internal static class Program
{
    /// <summary>Parses the command line and runs the chosen command; <c>run</c> is the default.</summary>
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand(
            "DataExchange Tasker: runs approved code on private data in locked-down Docker containers, fed by RabbitMQ.\n\n" +
            "Examples:\n" +
            "  TASKER_CODE_ROOT=/srv/code TASKER_DATA_ROOT=/srv/data tasker run\n" +
            "  tasker run --check --config /etc/tasker/tasker.env\n" +
            "  tasker submit --code demo1_code --data demo1_data --wait\n" +
            "  tasker cancel submit-0123456789ab\n" +
            "  tasker hash /srv/code/demo1_code\n" +
            "  tasker cleanup\n" +
            "  tasker approve /srv/code/demo1_code --label \"fortune demo, approved by J. Doe\"\n" +
            "  tasker receipt verify done.json --public-key node.key.pub\n" +
            "  TASKER_ADMIN_KEY=... TASKER_DB=/var/lib/dataexchange-tasker/tasker.db tasker api\n\n" +
            "Exit codes: 0 ok, 1 error, 2 rejected (submit --wait), 3 invalid configuration, 4 timeout (submit --wait).");
        RunCommand.Configure(root);
        var run = new Command("run", "Run the worker (the default command).");
        RunCommand.Configure(run);
        root.Subcommands.Add(run);
        root.Subcommands.Add(SubmitCommand.Create());
        root.Subcommands.Add(CancelCommand.Create());
        root.Subcommands.Add(HashCommand.Create());
        root.Subcommands.Add(CleanupCommand.Create());
        root.Subcommands.Add(ApproveCommand.Create());
        root.Subcommands.Add(KeygenCommand.Create());
        root.Subcommands.Add(ReceiptCommand.Create());
        root.Subcommands.Add(AuditCommand.Create());
        root.Subcommands.Add(Api.ApiCommand.Create());

        // Signals are handled by the worker (first: drain, second: exit), not by the parser's default handler.
        var configuration = new InvocationConfiguration { ProcessTerminationTimeout = null };
        return await root.Parse(args).InvokeAsync(configuration).ConfigureAwait(false);
    }
}
