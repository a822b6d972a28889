using DataExchangeTasker.IntegrationTests.Support;
using DataExchangeTasker.Protocol;
using DataExchangeTasker.Sandbox.Preparation;
using static DataExchangeTasker.IntegrationTests.Sandbox.SandboxTestSupport;

namespace DataExchangeTasker.IntegrationTests.Sandbox.Preparation;

/// <summary>Start messages that try to run code or read data from outside the roots, or code nobody approved.</summary>
[Collection(SandboxCollection.Name)]
public sealed class PathAndHashTests(TaskerFixture fixture)
{
    [Fact]
    public async Task Run_PathsEscapingTheirRoots_AreRejectedPathNotAllowedWithoutAnyContainer()
    {
        // Real code and data outside the roots, reachable only through "..", an absolute path or a planted link.
        using var outside = new HostSecret();
        var outsideCode = Path.Combine(outside.Folder, "demo1_code");
        TaskerFixture.CopyExample("demo1_code", outside.Folder);
        var codeLink = Unique("link-code");
        File.CreateSymbolicLink(Path.Combine(fixture.CodeRoot, codeLink), outsideCode);
        var fileLink = Unique("link-code") + ".py";
        File.CreateSymbolicLink(Path.Combine(fixture.CodeRoot, fileLink), Path.Combine(outsideCode, "run.py"));
        var dirLink = Unique("link-dir");
        File.CreateSymbolicLink(Path.Combine(fixture.CodeRoot, dirLink), outside.Folder);
        var dataLink = Unique("link-data");
        File.CreateSymbolicLink(Path.Combine(fixture.DataRoot, dataLink), outside.File);
        var dataDirLink = Unique("link-data-dir");
        File.CreateSymbolicLink(Path.Combine(fixture.DataRoot, dataDirLink), outside.Folder);

        var code = fixture.WriteCode(Unique("fine-code"), "print('must not run')\n");
        var data = fixture.WriteData(Unique("fine-data") + ".txt", "x");
        var codeRootName = Path.GetFileName(fixture.CodeRoot);
        var attacks = new (string CodePath, string DataPath)[]
        {
            ("../x", data),
            ("../" + codeRootName + "/" + code, data),
            (code + "/../" + code, data),
            ("/etc", data),
            (Path.Combine(fixture.CodeRoot, code), data),
            (codeLink, data),
            (fileLink, data),
            (dirLink + "/demo1_code", data),
            (code, "../x"),
            (code, "../code/" + code + "/run.py"),
            (code, "/etc"),
            (code, "/etc/passwd"),
            (code, dataLink),
            (code, dataDirLink + "/secret.txt"),
        };
        await using var tasker = await InProcessTasker.StartAsync(fixture);
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);

        var ids = attacks.Select((_, i) => Unique("escape-" + i)).ToList();
        for (var i = 0; i < attacks.Length; i++)
        {
            await tasker.PublishAsync(new StartMessage(ids[i], attacks[i].CodePath, attacks[i].DataPath));
        }

        var results = (await tasker.CollectResultsAsync(attacks.Length, TimeSpan.FromSeconds(90))).ToDictionary(r => r.TaskId);
        var until = DateTimeOffset.UtcNow;

        for (var i = 0; i < attacks.Length; i++)
        {
            var done = results[ids[i]];
            var what = $"codePath {attacks[i].CodePath}, dataPath {attacks[i].DataPath}: {done.State}/{done.Reason} {done.Output}";
            Assert.True(done.State == TaskStates.Rejected, what);
            Assert.True(done.Reason == Reasons.PathNotAllowed, what);
            Assert.Null(done.ContainerOutput);
            Assert.Null(done.ExitCode);
            Assert.DoesNotContain(outside.Marker, done.Output, StringComparison.Ordinal);
        }

        // Not one container was even created (the engine's event log also sees created-and-removed ones).
        Assert.Empty(await ContainersCreatedAsync(tasker.Options.TaskerId, since, until));
        Assert.Empty(await tasker.ContainersAsync(fixture));
    }

    [Fact]
    public async Task Run_CodeHashChecks_RunOnlyApprovedUnchangedCode()
    {
        var code = fixture.WriteCode(Unique("hashed"), "print('approved code ran')\n");
        var codeDir = Path.Combine(fixture.CodeRoot, code);
        var data = fixture.WriteData(Unique("hashed") + ".txt", "x");
        var approved = await CodeHasher.HashAsync(codeDir, CancellationToken.None);

        // Approved, then changed (a file added next to run.py) after approval.
        var changed = fixture.WriteCode(Unique("changed"), "print('approved code ran')\n");
        var changedDir = Path.Combine(fixture.CodeRoot, changed);
        var changedApproved = await CodeHasher.HashAsync(changedDir, CancellationToken.None);
        File.WriteAllText(Path.Combine(changedDir, "sitecustomize.py"), "print('smuggled')\n");

        // A link inside the code folder: the hash would not cover what it points to, so it cannot be approved.
        var linked = fixture.WriteCode(Unique("linked"), "import helper\n");
        var linkedDir = Path.Combine(fixture.CodeRoot, linked);
        var linkedApproved = await CodeHasher.HashAsync(linkedDir, CancellationToken.None);
        File.CreateSymbolicLink(Path.Combine(linkedDir, "helper.py"), "/etc/hostname");

        await using var tasker = await InProcessTasker.StartAsync(fixture, Settings(("TASKER_REQUIRE_CODE_HASH", "true")));
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);

        var mismatch = await tasker.RunAsync(new StartMessage(Unique("hash-mismatch"), changed, data, new CodeHash(changedApproved)));
        var wrong = await tasker.RunAsync(new StartMessage(Unique("hash-wrong"), code, data, new CodeHash(new string('0', 64))));
        var missing = await tasker.RunAsync(new StartMessage(Unique("hash-missing"), code, data));
        var empty = await tasker.RunAsync(new StartMessage(Unique("hash-empty"), code, data, new CodeHash("")));
        var link = await tasker.RunAsync(new StartMessage(Unique("hash-link"), linked, data, new CodeHash(linkedApproved)));
        var until = DateTimeOffset.UtcNow;
        var ok = await tasker.RunAsync(new StartMessage(Unique("hash-ok"), code, data, new CodeHash(approved.ToUpperInvariant())));

        foreach (var rejected in new[] { mismatch, wrong, missing, empty, link })
        {
            Assert.Equal(TaskStates.Rejected, rejected.State);
            Assert.Equal(Reasons.HashMismatch, rejected.Reason);
            Assert.Null(rejected.ContainerOutput);
        }

        Assert.Contains("the code changed since it was approved", mismatch.Output, StringComparison.Ordinal);
        Assert.Contains("the code changed since it was approved", wrong.Output, StringComparison.Ordinal);
        Assert.Contains("TASKER_REQUIRE_CODE_HASH", missing.Output, StringComparison.Ordinal);
        Assert.Contains("symbolic link", link.Output, StringComparison.Ordinal);
        Assert.Empty(await ContainersCreatedAsync(tasker.Options.TaskerId, since, until));

        Assert.Equal(TaskStates.Success, ok.State);
        Assert.Equal("approved code ran\n", ok.ContainerOutput!.Stdout);
    }
}
