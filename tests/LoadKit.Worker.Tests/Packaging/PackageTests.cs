using System.Diagnostics;
using System.Text.RegularExpressions;
using LoadKit.TestTargets;
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
    private string _project = "";

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
        foreach (var project in new[] { "LoadKit", "LoadKit.Cluster", "LoadKit.OpenTelemetry", "LoadKit.Testing", "LoadKit.Worker" })
        {
            await RunAsync("dotnet", ["pack", Path.Combine(Repository.Root, "src", project), "--no-build", "-c", configuration, "-o", _feed, $"-p:Version={_version}"], _root);
        }

        // A user's new test project, with LoadKit.Testing added from the feed.
        _project = Path.Combine(_root, "Shop.LoadTests");
        await RunAsync("dotnet", ["new", "nunit", "-n", "Shop.LoadTests", "-o", _project], _root);
        await File.WriteAllTextAsync(Path.Combine(_project, "nuget.config"),
            $"<?xml version=\"1.0\" encoding=\"utf-8\"?><configuration><packageSources><add key=\"loadkit\" value=\"{_feed}\" /></packageSources></configuration>");
        await RunAsync("dotnet", ["add", "package", "LoadKit.Testing", "--version", _version], _project);

        // As the README says: its example hosts the shop in the test, which needs ASP.NET Core.
        var projectFile = Path.Combine(_project, "Shop.LoadTests.csproj");
        var xml = await File.ReadAllTextAsync(projectFile);
        await File.WriteAllTextAsync(projectFile, xml.Replace("</Project>", "<ItemGroup><FrameworkReference Include=\"Microsoft.AspNetCore.App\" /></ItemGroup></Project>", StringComparison.Ordinal));
        File.Delete(Path.Combine(_project, "UnitTest1.cs"));
    }

    [OneTimeTearDown]
    public void RemoveTheTempFolder() => Directory.Delete(_root, recursive: true);

    [Test]
    public async Task FreshLocalOnlyProject_CorePackageAlone_RestoresNoClusterOrTelemetryPackage()
    {
        var local = Path.Combine(_root, "Local.LoadTests");
        await RunAsync("dotnet", ["new", "nunit", "-n", "Local.LoadTests", "-o", local], _root);
        File.Copy(Path.Combine(_project, "nuget.config"), Path.Combine(local, "nuget.config"));
        await RunAsync("dotnet", ["add", "package", "LoadKit", "--version", _version], local);

        var packages = await RunAsync("dotnet", ["list", "package", "--include-transitive"], local);

        Assert.That(packages, Does.Contain("LoadKit"), "the listing shows the core package");
        Assert.That(packages, Does.Not.Contain("etcd").IgnoreCase.And.Not.Contain("Grpc").IgnoreCase
            .And.Not.Contain("Google.Protobuf").And.Not.Contain("OpenTelemetry"), packages);
    }

    [Test]
    public async Task FreshNUnitProject_TheReadmeExampleVerbatim_Passes()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "README.md"));
        await File.WriteAllTextAsync(Path.Combine(_project, "CheckoutLoadTests.cs"), Regex.Match(readme, "```csharp\n(.*?)```", RegexOptions.Singleline).Groups[1].Value);

        var output = await RunAsync("dotnet", ["test", "--filter", "FullyQualifiedName~CheckoutLoadTests"], _project);

        Assert.That(output, Does.Match(@"Passed!\s+- Failed:\s+0, Passed:\s+1,"));

        // The package's buildTransitive props reached the test program's runtime configuration.
        var runtimeConfig = Directory.GetFiles(Path.Combine(_project, "bin"), "*.runtimeconfig.json", SearchOption.AllDirectories)
            .Select(File.ReadAllText).ToArray();
        Assert.That(runtimeConfig, Has.Some.Match(@"""System\.Threading\.ThreadPool\.UnfairSemaphoreSpinLimit"":\s*0\b"));
    }

    [Test]
    public async Task FreshNUnitProject_SameTestWithCiRunSettings_RunsOnTheWorkers()
    {
        await using var cluster = await Distributed.Cluster.StartAsync(2);
        var tokenFile = Path.Combine(_root, "worker.token");
        await File.WriteAllTextAsync(tokenFile, WorkerProcess.Token);
        await File.WriteAllTextAsync(Path.Combine(_project, "SmokeLoadTests.cs"), """
            using LoadKit;
            using LoadKit.Testing;

            public class SmokeLoadTests
            {
                // The address comes from LOADKIT_HTTP_BASE_ADDRESS, which the controller forwards to the workers.
                public static Scenario Smoke() => Scenario.Create("smoke")
                    .Step("fast", Http.Get("/fast"))
                    .WithLoad(Load.ArrivalRate(50, TimeSpan.FromSeconds(2), preAllocatedUsers: 5, maxUsers: 50))
                    .WithThresholds(Threshold.Step("fast").FailureRate.Below(0.01))
                    .Build();

                [Test]
                public async Task Smoke_load_passes()
                {
                    var result = await LoadTest.RunAsync(Smoke);
                    Assert.That(result.Workers, Has.Count.EqualTo(int.Parse(Environment.GetEnvironmentVariable("EXPECTED_WORKERS") ?? "0")));
                }
            }
            """);
        // What a CI job checks in: the same test, pointed at the workers by run parameters alone.
        var runSettings = Path.Combine(_root, "ci.runsettings");
        await File.WriteAllTextAsync(runSettings, $"""
            <RunSettings>
              <RunConfiguration>
                <EnvironmentVariables>
                  <LOADKIT_HTTP_BASE_ADDRESS>{cluster.Target.BaseAddress}</LOADKIT_HTTP_BASE_ADDRESS>
                  <EXPECTED_WORKERS>2</EXPECTED_WORKERS>
                </EnvironmentVariables>
              </RunConfiguration>
              <TestRunParameters>
                <Parameter name="LoadKit.Etcd" value="{cluster.Etcd.Url}" />
                <Parameter name="LoadKit.Workers" value="2" />
                <Parameter name="LoadKit.Prefix" value="{cluster.Prefix}" />
                <Parameter name="LoadKit.WorkerTokenFile" value="{tokenFile}" />
                <Parameter name="LoadKit.Forward" value="LOADKIT_HTTP_BASE_ADDRESS" />
              </TestRunParameters>
            </RunSettings>
            """);

        var output = await RunAsync("dotnet", ["test", "--filter", "FullyQualifiedName~SmokeLoadTests", "--settings", runSettings, "--logger", "console;verbosity=normal"], _project);

        Assert.That(output, Does.Contain("Test Run Successful.").And.Match(@"Passed:\s+1\b"));
        Assert.That(output, Does.Contain("Workers: 2, start skew"), "the summary the test printed is that of a distributed run");
        Assert.That(cluster.Target.Requests, Is.EqualTo(100), "50/s for 2 s, from the workers");
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
        await using var cluster = await Distributed.Cluster.StartAsync(1, command: command);
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
}
