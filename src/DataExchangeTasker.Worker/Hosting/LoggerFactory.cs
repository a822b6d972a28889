using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace DataExchangeTasker.Hosting;

/// <summary>Serilog to stderr: readable text by default, compact JSON (CLEF) lines with <c>TASKER_LOG_FORMAT=json</c>.</summary>
public static class LoggerFactory
{
    /// <summary>Creates the process logger. stderr keeps stdout free for command results (submit, hash).</summary>
    public static ILogger Create(string format, string level)
    {
        var config = new LoggerConfiguration()
            .MinimumLevel.Is(level switch
            {
                "debug" => LogEventLevel.Debug,
                "warning" => LogEventLevel.Warning,
                "error" => LogEventLevel.Error,
                _ => LogEventLevel.Information,
            })
            .MinimumLevel.Override("RabbitMQ", LogEventLevel.Warning)
            .Enrich.FromLogContext();
        config = format == "json"
            // CLEF: @t, @mt, @l (omitted for Information), @x, @r, then each property at the top level (README, Health and metrics).
            ? config.WriteTo.Console(new CompactJsonFormatter(), standardErrorFromLevel: LogEventLevel.Verbose)
            : config.WriteTo.Console(
                outputTemplate: "{Timestamp:HH:mm:ss.fff} {Level:u3} {Message:lj}{NewLine}{Exception}",
                standardErrorFromLevel: LogEventLevel.Verbose,
                formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        return config.CreateLogger();
    }
}
