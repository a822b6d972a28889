// The tasker supports Linux only (it needs the Docker engine, unix sockets and Linux file APIs); so do its tests.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
