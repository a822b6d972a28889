namespace DataExchangeTasker.Dependencies;

/// <summary>What preparing a task's <c>requirements.txt</c> came to.</summary>
internal abstract record DependencyResult;

/// <summary>Ready: <paramref name="Site"/> is the read-only folder to mount (null: the code folder has no requirements.txt).</summary>
internal sealed record DependenciesReady(string? Site) : DependencyResult
{
    /// <summary>Nothing to install.</summary>
    public static DependenciesReady None { get; } = new((string?)null);
}

/// <summary>The requirements cannot be installed; <paramref name="Output"/> says why (pip's own output included). The code must not run.</summary>
internal sealed record DependenciesFailed(string Output) : DependencyResult;
