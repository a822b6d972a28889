namespace DataExchangeTasker.Sandbox;

/// <summary>The per-task host folder mounted read-write at <c>/tmp/out</c>, and the files the runner writes there.</summary>
public sealed record WorkFolder(string Path)
{
    public string Stdout => System.IO.Path.Combine(Path, "stdout.txt");
    public string Stderr => System.IO.Path.Combine(Path, "stderr.txt");
    public string Strace => System.IO.Path.Combine(Path, "strace.txt");
    public string ExitCode => System.IO.Path.Combine(Path, "exit_code");

    /// <summary>Creates it (empty) under <paramref name="workRoot"/>; world-writable because the code runs as an unprivileged uid.</summary>
    public static WorkFolder Create(string workRoot, string key)
    {
        Directory.CreateDirectory(workRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        var path = System.IO.Path.Combine(workRoot, key);
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }

        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, (UnixFileMode)0x1FF); // 0777: the container's uid must be able to write here.
        return new WorkFolder(path);
    }

    /// <summary>Removes the folder and all the task wrote there; symbolic links are removed, never followed.</summary>
    public void Delete()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Already gone: cleanup after a crash may race with a normal end.
        }
    }
}
