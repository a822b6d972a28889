namespace DataExchangeTasker.Sandbox.Collection;

/// <summary>Up to the output limit of one stream, and whether more was there.</summary>
internal sealed record BoundedText(string Text, bool Truncated)
{
    /// <summary>Nothing was read.</summary>
    public static BoundedText Empty { get; } = new("", false);
}
