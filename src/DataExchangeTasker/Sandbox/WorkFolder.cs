namespace DataExchangeTasker.Sandbox;

/// <summary>The per-task host folder mounted read-write at <c>/tmp/out</c>, and the files the runner writes there.</summary>
public sealed record WorkFolder(string Path)
{
    public string Stdout => System.IO.Path.Combine(Path, "stdout.txt");
    public string Stderr => System.IO.Path.Combine(Path, "stderr.txt");
    public string Strace => System.IO.Path.Combine(Path, "strace.txt");
    public string ExitCode => System.IO.Path.Combine(Path, "exit_code");

    /// <summary>
    /// Creates it (empty) under <paramref name="workRoot"/>, world-writable because the code runs as an unprivileged
    /// uid. With <paramref name="sizeLimitBytes"/> &gt; 0 it is its own tmpfs of that size, so a task cannot fill the
    /// host's disk with many files (the fsize ulimit bounds each file only); <paramref name="bounded"/> tells whether
    /// that mount succeeded (it needs CAP_SYS_ADMIN, i.e. a tasker running as root).
    /// </summary>
    public static WorkFolder Create(string workRoot, string key, long sizeLimitBytes, out bool bounded)
    {
        Directory.CreateDirectory(workRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        var path = System.IO.Path.Combine(workRoot, key);
        var folder = new WorkFolder(path);
        folder.Delete();
        Directory.CreateDirectory(path);
        bounded = sizeLimitBytes > 0 && NativeFiles.MountTmpfs(path, sizeLimitBytes);
        File.SetUnixFileMode(path, (UnixFileMode)0x1FF); // 0777: the container's uid must be able to write here.
        return folder;
    }

    /// <summary>Removes the folder and all the task wrote there; symbolic links are removed, never followed.</summary>
    public void Delete()
    {
        try
        {
            // A bounded folder is a tmpfs mount: detach it first (its content goes with it), then remove the mount point.
            NativeFiles.Unmount(Path);
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Already gone: cleanup after a crash may race with a normal end.
        }
    }
}
