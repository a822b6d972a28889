using System.Globalization;
using System.Text;
using DataExchangeTasker.Configuration;
using DataExchangeTasker.Docker;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Collection;
using DataExchangeTasker.Sandbox.Run;
using Serilog;

namespace DataExchangeTasker.Dependencies;

/// <summary>
/// Runs one preparation container (<see cref="PreparationSpecFactory"/>) from create to removal: follows pip's output
/// to its status line within <c>TASKER_PIP_TIMEOUT</c>, and on success copies the installed site out through
/// <c>docker exec tar</c> (as the code's uid) into a staging folder, with the rules of task outputs: regular files
/// and folders only, at most <c>TASKER_DEPS_SIZE_LIMIT</c> bytes.
/// </summary>
internal sealed class PreparationContainer(IDockerEngine docker, PreparationSpecFactory specs, SandboxOptions sandbox, DependencyOptions options, ILogger log)
{
    /// <summary>pip's output read from the log at most (its tail is what a done message carries).</summary>
    private const long LogLimitBytes = 4 * 1024 * 1024;

    /// <summary>The clock pip's time limit is measured on (the tasker's).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Installs for <paramref name="key"/>; on success the site is in <paramref name="staging"/>/site.</summary>
    public async Task<PreparationOutcome> InstallAsync(string key, string requirementsFile, string imageId, string staging, CancellationToken cancellationToken)
    {
        var name = specs.NameFor(key);
        // One of ours with this name can only be left by a crash mid-install (the caller holds the key's locks).
        await docker.RemoveContainerAsync(name, cancellationToken).ConfigureAwait(false);
        // Removed whatever happened (disposal), with a deadline of its own.
        await using var container = await SealedContainer.CreateAsync(docker, name, specs.Create(key, requirementsFile, imageId, SealedContainer.CollectWindow), log, cancellationToken).ConfigureAwait(false);
        await container.StartAsync(cancellationToken).ConfigureAwait(false);
        log.Information("Installing requirements.txt {Key:l} in container {ContainerId:l} ({Source})", key[..16], container.ShortId, options.Source);
        var (status, output) = await FollowAsync(container, cancellationToken).ConfigureAwait(false);
        if (status != 0)
        {
            return PreparationOutcome.Failed(await DescribeFailureAsync(container, status, cancellationToken).ConfigureAwait(false), output);
        }

        var copyFailure = await CopySiteAsync(container, staging, cancellationToken).ConfigureAwait(false);
        return copyFailure is null ? PreparationOutcome.Installed(output) : PreparationOutcome.Failed(copyFailure, output);
    }

    /// <summary>pip's status (null: it did not finish in time, or the container ended without a status) and its output.</summary>
    private async Task<(int? Status, string Output)> FollowAsync(SealedContainer container, CancellationToken cancellationToken)
    {
        var output = new StringBuilder();
        try
        {
            await foreach (var line in container.FollowLogLinesAsync(LogLimitBytes, options.Timeout, Time, cancellationToken).ConfigureAwait(false))
            {
                if (line.StartsWith(PreparationSpecFactory.StatusPrefix, StringComparison.Ordinal))
                {
                    return (int.TryParse(line.AsSpan(PreparationSpecFactory.StatusPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : -1, output.ToString());
                }

                output.Append(line).Append('\n');
            }

            return (null, output.ToString());
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            output.Append(CultureInfo.InvariantCulture, $"\n[the install took longer than {Settings.PipTimeout.Name} ({options.Timeout.TotalSeconds:0} s) and was stopped]\n");
            return (null, output.ToString());
        }
    }

    private async Task<string> DescribeFailureAsync(SealedContainer container, int? status, CancellationToken cancellationToken)
    {
        if (status is { } s)
        {
            return string.Create(CultureInfo.InvariantCulture, $"Installing requirements.txt failed (pip exit status {s}); the code did not run.");
        }

        var state = await container.StandingAsync(cancellationToken).ConfigureAwait(false);
        return state switch
        {
            { Running: true } => string.Create(CultureInfo.InvariantCulture, $"Installing requirements.txt took longer than {Settings.PipTimeout.Name} ({options.Timeout.TotalSeconds:0} s) and was stopped; the code did not run."),
            { OomKilled: true } => string.Create(CultureInfo.InvariantCulture, $"Installing requirements.txt ran out of memory ({Settings.MemoryLimit.Name} {sandbox.MemoryLimitBytes} bytes, which also holds the installed files); the code did not run."),
            _ => string.Create(CultureInfo.InvariantCulture, $"Installing requirements.txt ended without a status (container exit code {state?.ExitCode}); the code did not run."),
        };
    }

    /// <summary>Null when the site is in <paramref name="staging"/>; otherwise why it is not.</summary>
    private async Task<string?> CopySiteAsync(SealedContainer container, string staging, CancellationToken cancellationToken)
    {
        ExtractedOutputs? copied = null;
        ExecResult result;
        try
        {
            result = await container.TarAsync(sandbox.User, PreparationSpecFactory.OutPath, ["site"], async (stream, ct) =>
            {
                await using var capped = new CappedReadStream(stream, SealedContainer.ArchiveCap(options.SizeLimitBytes));
                copied = await OutputArchiveExtractor.ExtractAsync(capped, staging, new OutputLimits(int.MaxValue, options.SizeLimitBytes), ct).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            return $"The installed packages could not be copied out ({e.Message}); the code did not run.";
        }
        catch (ResultsUnwritableException e)
        {
            return $"The installed packages could not be stored under {Settings.DepsRoot.Name}: {e.Message} The code did not run.";
        }

        if (result.ExitCode != 0 || copied is null)
        {
            return $"The installed packages could not be copied out (tar exit status {result.ExitCode}: {result.Stderr.Trim()}); the code did not run.";
        }

        if (copied.Truncated)
        {
            var odd = copied.Refused.Entries.Where(r => r.Reason is not (RefusalReasons.SizeLimit or RefusalReasons.FilesLimit)).Take(5).ToList();
            return odd.Count > 0
                ? $"The installed packages hold entries other than regular files and folders ({string.Join(", ", odd.Select(r => $"{r.Path} ({r.Reason})"))}); the code did not run."
                : $"The installed packages are larger than {Settings.DepsSizeLimit.Name} ({options.SizeLimitBytes} bytes); the code did not run.";
        }

        // The extractor makes only the folders stored files need: a site with nothing in it (every requirement met by
        // the image) is still the folder a run mounts.
        Directory.CreateDirectory(Path.Combine(staging, "site"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        return null;
    }
}

/// <summary>What one preparation container did.</summary>
/// <param name="Failure">Null when the site was installed and copied; otherwise the first sentence of the answer.</param>
/// <param name="PipOutput">pip's stdout and stderr, as the container logged them.</param>
internal sealed record PreparationOutcome(string? Failure, string PipOutput)
{
    /// <summary>Installed and copied.</summary>
    public static PreparationOutcome Installed(string pipOutput) => new(null, pipOutput);

    /// <summary>Not installed.</summary>
    public static PreparationOutcome Failed(string failure, string pipOutput) => new(failure, pipOutput);
}
