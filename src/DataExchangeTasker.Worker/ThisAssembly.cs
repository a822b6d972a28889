using System.Reflection;

namespace DataExchangeTasker;

/// <summary>Build information of the running binary.</summary>
public static class ThisAssembly
{
    /// <summary>The informational version (e.g. <c>1.0.0+abc123</c>).</summary>
    public static string Version { get; } =
        typeof(ThisAssembly).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
}
