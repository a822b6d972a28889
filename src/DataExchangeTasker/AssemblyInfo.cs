using System.Runtime.Versioning;

// The tasker drives a Linux Docker engine and relies on Unix file modes and libc calls.
[assembly: SupportedOSPlatform("linux")]
