namespace DataExchangeTasker.Configuration;

/// <summary>One or more settings are missing or invalid; the message names each one, its value and what was expected.</summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException(IReadOnlyList<string> errors)
        : base("Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
    {
        Errors = errors;
    }

    public ConfigurationException()
        : this(["unknown error"])
    {
    }

    public ConfigurationException(string message)
        : this([message])
    {
    }

    public ConfigurationException(string message, Exception inner)
        : base(message, inner)
    {
        Errors = [message];
    }

    /// <summary>One sentence per invalid setting.</summary>
    public IReadOnlyList<string> Errors { get; } = [];
}
