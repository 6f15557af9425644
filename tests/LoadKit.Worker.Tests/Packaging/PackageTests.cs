using System.Diagnostics;
using System.Text.RegularExpressions;
using LoadKit.Worker.Tests.Distributed;

namespace LoadKit.Worker.Tests.Packaging;

/// <summary>
/// LoadKit as a user meets it: packed into a local feed, added to a fresh <c>dotnet new nunit</c> project whose test
/// is the README's first example, verbatim; and the worker installed as a dotnet tool.
/// </summary>
[NonParallelizable]
public class PackageTests
{
    private static readonly TimeSpan CommandBound = TimeSpan.FromMinutes(5);
    private string _root = "";
    private string _feed = "";
    private string _version = "";

    [OneTimeSetUp]
    public async Task PackIntoALocalFeed()
    {
        _root = Directory.CreateTempSubdirectory("loadkit-user-").FullName;
        // MSBuild looks upwards for these files; empty ones here keep anything above the temp folder out.
        foreach (var file in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
        {
            await File.WriteAllTextAsync(Path.Combine(_root, file), "<Project />");
        }

        _feed = Directory.CreateDirectory(Path.Combine(_root, "feed")).FullName;
        // A version no earlier run used: a re-packed version would come stale from the global packages folder.
        _version = $"0.1.0-t{DateTime.UtcNow:yyyyMMddHHmmss}{Environment.ProcessId}";
        var configuration = new DirectoryInfo(TestContext.CurrentContext.TestDirectory).Parent!.Name; // bin/<configuration>/net10.0
        foreach (var project in new[] { "LoadKit", "LoadKit.Testing", "LoadKit.Worker" })
        {
            await RunAsync("dotnet", ["pack", Path.Combine(RepositoryRoot(), "src", project), "--no-build", "-c", configuration, "-o", _feed, $"-p:Version={_version}"], _root);
        }
    }

    [OneTimeTearDown]
    public void RemoveTheTempFolder() => Directory.Delete(_root, recursive: true);

    [Test]
    public async Task FreshNUnitProject_TheReadmeExampleVerbatim_Passes()
    {
        var project = Path.Combine(_root, "Shop.LoadTests");
        await RunAsync("dotnet", ["new", "nunit", "-n", "Shop.LoadTests", "-o", project], _root);
        await File.WriteAllTextAsync(Path.Combine(project, "nuget.config"),
            $"<?xml version=\"1.0\" encoding=\"utf-8\"?><configuration><packageSources><add key=\"loadkit\" value=\"{_feed}\" /></packageSources></configuration>");
        await RunAsync("dotnet", ["add", "package", "LoadKit.Testing", "--version", _version], project);

        // As the README says: its example hosts the shop in the test, which needs ASP.NET Core.
        var projectFile = Path.Combine(project, "Shop.LoadTests.csproj");
        var xml = await File.ReadAllTextAsync(projectFile);
        await File.WriteAllTextAsync(projectFile, xml.Replace("</Project>", "<ItemGroup><FrameworkReference Include=\"Microsoft.AspNetCore.App\" /></ItemGroup></Project>", StringComparison.Ordinal));
        File.Delete(Path.Combine(project, "UnitTest1.cs"));
        var readme = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "README.md"));
        await File.WriteAllTextAsync(Path.Combine(project, "CheckoutLoadTests.cs"), Regex.Match(readme, "```csharp\n(.*?)```", RegexOptions.Singleline).Groups[1].Value);

        var output = await RunAsync("dotnet", ["test"], project);

        Assert.That(output, Does.Match(@"Passed!\s+- Failed:\s+0, Passed:\s+1,"));
    }

    [Test]
    public async Task ToolInstall_PackedWorker_GivesALoadkitWorkerCommandThatRunsItsShare()
    {
        var tools = Path.Combine(_root, "tools");
        await RunAsync("dotnet", ["tool", "install", "LoadKit.Worker", "--tool-path", tools, "--version", _version, "--add-source", _feed], _root);
        var command = Path.Combine(tools, "loadkit-worker");

        Assert.That(await RunAsync(command, ["--help"], _root), Does.Contain("--etcd URL"));
        var fixture = WorkerProcess.BuiltAssembly(Path.Combine("tests", "Fixtures", "PlainNUnitTests"), "PlainNUnitTests.dll");
        Assert.That(await RunAsync(command, ["run", fixture, "--test", "ShopTests.Passes", "--vus", "2", "--iterations", "5"], _root),
            Does.Match(@"ShopTests\.Passes\s+10\s+0\s"), "the installed tool runs a plain NUnit assembly's test as load");
        await using var cluster = await Cluster.StartAsync(1, command: command);
        var result = await LoadRunner.RunAsync([DistributedScenarios.Short], cluster.Options()).WaitAsync(TimeSpan.FromSeconds(90));
        Assert.That(result.Workers.Single().Lost, Is.Null);
        Assert.That(result.GetStep("get").Ok, Is.EqualTo(cluster.Target.Requests));
    }

    /// <summary>Runs a command to its end (bounded); returns its output, or fails the test with it.</summary>
    private static async Task<string> RunAsync(string command, string[] arguments, string folder)
    {
        var start = new ProcessStartInfo(command) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(CommandBound);
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true); // the process this test started, by its handle
            Assert.Fail($"'{command} {string.Join(' ', arguments)}' did not finish within {CommandBound}.");
        }

        var text = await output + await error;
        Assert.That(process.ExitCode, Is.Zero, $"'{command} {string.Join(' ', arguments)}' failed:{Environment.NewLine}{text}");
        return text;
    }

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "LoadKit.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("LoadKit.sln not found above the test directory.");
    }
}
