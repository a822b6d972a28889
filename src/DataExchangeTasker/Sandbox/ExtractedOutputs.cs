using DataExchangeTasker.Protocol;

namespace DataExchangeTasker.Sandbox;

/// <summary>What was stored of a task's <c>/tmp/out</c>.</summary>
/// <param name="Files">Stored regular files, in archive order.</param>
/// <param name="Truncated">Something was dropped: a cap was reached, or an entry was refused.</param>
/// <param name="Refused">Names of entries refused (links, devices, FIFOs, unsafe names, duplicates), for the log.</param>
public sealed record ExtractedOutputs(IReadOnlyList<OutputFile> Files, bool Truncated, IReadOnlyList<string> Refused);
