namespace DataExchangeTasker.Configuration;

/// <summary>
/// How a code folder's <c>requirements.txt</c> is installed (docs/requirements-design.md): in a preparation container
/// without the data, from the operator's wheelhouse (no network), or from a package index reachable only on an
/// internal Docker network; with neither, only what the runner image already has can satisfy it.
/// </summary>
/// <param name="Root">Installed requirements, one read-only folder per cache key (<c>TASKER_DEPS_ROOT</c>).</param>
/// <param name="Wheelhouse">Folder of wheels to install from, offline (<c>TASKER_WHEELHOUSE</c>).</param>
/// <param name="IndexUrl">Package index to install from instead (<c>TASKER_PIP_INDEX_URL</c>).</param>
/// <param name="Network">The internal network on which the index is reachable (<c>TASKER_PIP_NETWORK</c>).</param>
/// <param name="Timeout">How long one install may take (<c>TASKER_PIP_TIMEOUT</c>).</param>
/// <param name="SizeLimitBytes">Largest installed set of packages (<c>TASKER_DEPS_SIZE_LIMIT</c>).</param>
public sealed record DependencyOptions(string Root, string? Wheelhouse, Uri? IndexUrl, string? Network, TimeSpan Timeout, long SizeLimitBytes)
{
    /// <summary>The defaults: no package source, five minutes, 512 MiB.</summary>
    public static DependencyOptions Default { get; } = new("/var/lib/dataexchange-tasker/deps", null, null, null, TimeSpan.FromMinutes(5), 512L * 1024 * 1024);

    /// <summary>Where packages come from.</summary>
    public DependencySource Source => Wheelhouse is not null ? DependencySource.Wheelhouse : IndexUrl is not null ? DependencySource.Index : DependencySource.ImageOnly;
}

/// <summary>Where the packages of a <c>requirements.txt</c> come from.</summary>
public enum DependencySource
{
    /// <summary>Nowhere: every requirement must already be met by the runner image's own packages (checked, not installed).</summary>
    ImageOnly,

    /// <summary>The operator's folder of wheels (<c>pip --no-index --find-links</c>), with no network at all.</summary>
    Wheelhouse,

    /// <summary>A package index, reached on an internal Docker network only.</summary>
    Index,
}
