using System.Diagnostics;
using LoadKit.TestTargets;

namespace LoadKit.Cli.Tests.Packaging;

/// <summary>The tool as a user gets it: packed into a local feed, installed with <c>dotnet tool install</c>, run as <c>loadkit</c>.</summary>
public class ToolPackageTests
{
    [Test]
    public async Task ToolInstall_PackedCli_GivesALoadkitCommandThatRunsAPlan()
    {
        var root = Directory.CreateTempSubdirectory("loadkit-tool-").FullName;
        try
        {
            var feed = Path.Combine(root, "feed");
            // A version no earlier run used: a re-packed version would come stale from the global packages folder.
            var version = $"0.1.0-t{DateTime.UtcNow:yyyyMMddHHmmss}{Environment.ProcessId}";
            var configuration = new DirectoryInfo(TestContext.CurrentContext.TestDirectory).Parent!.Name; // bin/<configuration>/net10.0
            var watch = Stopwatch.StartNew();
            await LoadkitProcess.DotnetAsync(root, "pack", Path.Combine(Repository.Root, "src", "LoadKit.Cli"), "--no-build", "-c", configuration, "-o", feed, $"-p:Version={version}");
            await LoadkitProcess.DotnetAsync(root, "tool", "install", "LoadKit.Cli", "--tool-path", Path.Combine(root, "tools"), "--version", version, "--add-source", feed);
            TestContext.Out.WriteLine($"packed and installed in {watch.Elapsed.TotalSeconds:0.0} s");
            var loadkit = Path.Combine(root, "tools", "loadkit");

            await using var server = await ValueServer.StartAsync();
            await File.WriteAllTextAsync(Path.Combine(root, "plan.yaml"), $$"""
                http: { baseAddress: {{server.BaseAddress}} }
                scenarios:
                  - name: installed
                    steps: [ { name: use, request: { url: /use/t } } ]
                    load: [ { sharedIterations: { users: 1, iterations: 5 } } ]
                    thresholds: [ { metric: failureCount, atMost: 0 } ]
                """);
            var none = new Dictionary<string, string>();
            var validate = await LoadkitProcess.RunAsync(loadkit, root, none, "validate", "plan.yaml");
            var run = await LoadkitProcess.RunAsync(loadkit, root, none, "run", "plan.yaml", "--out", "out");

            Assert.That(validate.ExitCode, Is.Zero, validate.ToString());
            Assert.That(run.ExitCode, Is.Zero, run.ToString());
            Assert.That(server.Values["t"], Is.EqualTo(5));
            Assert.That(File.Exists(Path.Combine(root, "out", "report.html")), Is.True);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
