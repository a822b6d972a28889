namespace DataExchangeTasker.Images;

/// <summary>An approved image as resolved when the tasker started: containers are created from <see cref="Id"/>,
/// never from the configured name, so retagging the name later cannot change what runs.</summary>
/// <param name="Name">The name in <c>TASKER_IMAGES</c> (what a start message asks for).</param>
/// <param name="Reference">The image as configured (id, digest or tag).</param>
/// <param name="Id">The engine's image id at start-up, <c>sha256:…</c>.</param>
/// <param name="Entry">The file the code folder must hold (label <see cref="ImageLabels.Entry"/>).</param>
/// <param name="Interpreter">What runs the entry (label <see cref="ImageLabels.Interpreter"/>).</param>
public sealed record PinnedImage(string Name, string Reference, string Id, string Entry, string Interpreter)
{
    /// <summary>Why the image's supervisor does not speak this tasker's protocol (<see cref="SupervisorProtocol"/>); null when it does.</summary>
    public string? SupervisorMismatch { get; init; }
}
