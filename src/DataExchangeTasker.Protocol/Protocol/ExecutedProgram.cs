namespace DataExchangeTasker.Protocol;

/// <summary>A program the run executed successfully (<c>execve</c>/<c>execveat</c>).</summary>
/// <param name="Path">The path passed to execve.</param>
/// <param name="Argv0">The first element of its argument vector (what the program was called as).</param>
public sealed record ExecutedProgram(string Path, string Argv0);
