namespace DataExchangeTasker.Images;

/// <summary>Some approved image (<c>TASKER_IMAGES</c>) is missing from the engine or is unusable: the tasker does not start.</summary>
public sealed class ImagePinningException : Exception
{
    /// <summary>One sentence per unusable image.</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>Creates the exception with every problem found.</summary>
    public ImagePinningException(IReadOnlyList<string> errors)
        : base("Approved runner images (TASKER_IMAGES) are unusable: " + string.Join("; ", errors))
    {
        Errors = errors;
    }

    /// <summary>Required by the exception pattern; prefer the list constructor.</summary>
    public ImagePinningException()
        : this(Array.Empty<string>())
    {
    }

    /// <summary>Required by the exception pattern; prefer the list constructor.</summary>
    public ImagePinningException(string message)
        : base(message)
    {
        Errors = [message];
    }

    /// <summary>Required by the exception pattern; prefer the list constructor.</summary>
    public ImagePinningException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [message];
    }
}
