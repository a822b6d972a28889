using System.CommandLine;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Hosting;

namespace DataExchangeTasker.Api;

/// <summary>
/// <c>tasker api</c>: the HTTP front. This type names no ASP.NET Core type, so registering the command does not load
/// ASP.NET Core into the worker; only running it does (through <see cref="ApiRunner"/>).
/// </summary>
public static class ApiCommand
{
    /// <summary>The command.</summary>
    public static Command Create()
    {
        var source = new SettingsSource();
        var command = new Command("api", "Serve the HTTP API: submit tasks, read their state and results, schedules, clients and quotas.");
        source.AddTo(command, [.. ApiSettings.Shared, .. ApiSettings.All]);
        command.SetAction((result, _) => ApiRunner.RunAsync(source.Read(result)));
        return command;
    }
}
