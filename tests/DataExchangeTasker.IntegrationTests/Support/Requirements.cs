namespace DataExchangeTasker.IntegrationTests.Support;

/// <summary>
/// Checks for the external infrastructure that integration tests need. Missing infrastructure is
/// always a loud failure, never a silent skip: a suite that quietly skips its broker tests looks
/// green while testing nothing.
/// </summary>
public static class Requirements
{
    /// <summary>
    /// The RabbitMQ start script that runs the broker as the calling user. <c>/usr/sbin/rabbitmq-server</c>
    /// is not used because that wrapper switches to the <c>rabbitmq</c> user, which cannot write to
    /// the per-node temp directory.
    /// </summary>
    public const string DefaultRabbitMqServerPath = "/usr/lib/rabbitmq/bin/rabbitmq-server";

    /// <summary>The RabbitMQ CLI, from the same installation as <see cref="DefaultRabbitMqServerPath"/>.</summary>
    public const string DefaultRabbitMqCtlPath = "/usr/lib/rabbitmq/bin/rabbitmqctl";

    /// <summary>
    /// True when running under CI, which sets <c>CI</c> to a non-empty value other than <c>false</c>.
    /// </summary>
    public static bool IsCi => Environment.GetEnvironmentVariable("CI") is { Length: > 0 } v && v != "false";

    /// <summary>
    /// Throws when the RabbitMQ server or CLI is not installed at the given paths.
    /// </summary>
    /// <param name="serverPath">Path of the <c>rabbitmq-server</c> start script.</param>
    /// <param name="ctlPath">Path of <c>rabbitmqctl</c>.</param>
    /// <exception cref="InvalidOperationException">Either file is missing.</exception>
    public static void EnsureRabbitMqInstalled(
        string serverPath = DefaultRabbitMqServerPath,
        string ctlPath = DefaultRabbitMqCtlPath)
    {
        var missing = new[] { serverPath, ctlPath }.Where(path => !File.Exists(path)).ToArray();
        if (missing.Length == 0)
        {
            return;
        }

        var where = IsCi
            ? "CI must install it in its setup step before running the tests"
            : "install it (Debian/Ubuntu: apt-get install rabbitmq-server) and run the tests again";
        throw new InvalidOperationException(
            $"RabbitMQ integration tests need a local RabbitMQ installation, but {string.Join(" and ", missing)} "
            + $"does not exist; {where}. These tests are never skipped, so a missing broker fails the run.");
    }
}
