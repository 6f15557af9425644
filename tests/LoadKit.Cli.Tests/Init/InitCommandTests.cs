using System.Diagnostics;
using LoadKit.TestTargets;

namespace LoadKit.Cli.Tests.Init;

/// <summary><c>loadkit init</c> as a process: the plan it writes validates; the project it writes builds.</summary>
public class InitCommandTests
{
    private string _folder = "";

    [SetUp]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("loadkit-init-").FullName;

    [TearDown]
    public void Remove() => Directory.Delete(_folder, recursive: true);

    [Test]
    public async Task Init_Plan_WritesAPlanThatValidatesAndNeverOverwrites()
    {
        var init = await LoadkitProcess.RunAsync(_folder, "init");
        var validate = await LoadkitProcess.RunAsync(_folder, "validate", "plan.yaml");
        await File.WriteAllTextAsync(Path.Combine(_folder, "plan.yaml"), "# edited");
        var again = await LoadkitProcess.RunAsync(_folder, "init", "plan");

        Assert.That(init.ExitCode, Is.Zero, init.ToString());
        Assert.That(validate.ExitCode, Is.Zero, validate.ToString());
        Assert.That(validate.Output, Does.Contain("plan.yaml: valid (1 scenario: browse)."));
        Assert.That(await File.ReadAllTextAsync(Path.Combine(_folder, "plan.schema.json")), Is.EqualTo(PlanFile.JsonSchema));
        Assert.That(again.ExitCode, Is.EqualTo(2), again.ToString());
        Assert.That(again.Error, Does.Contain($"DIR = '{_folder}': plan.yaml, plan.schema.json exist; nothing was written. Choose another folder, or --force to replace them."));
        Assert.That(await File.ReadAllTextAsync(Path.Combine(_folder, "plan.yaml")), Is.EqualTo("# edited"));
    }

    [Test]
    public async Task Init_Tests_WritesAnNUnitProjectThatBuilds()
    {
        var init = await LoadkitProcess.RunAsync(_folder, "init", "tests", "shop-load");
        var project = Path.Combine(_folder, "shop-load");
        Assert.That(init.ExitCode, Is.Zero, init.ToString());
        Assert.That(Directory.GetFiles(project).Select(Path.GetFileName), Is.EquivalentTo(new[] { "ShopLoad.csproj", "LoadTests.cs", "plan.yaml", "plan.schema.json" }));
        Assert.That(PlanFile.Load(Path.Combine(project, "plan.yaml")).Scenarios.Single().Name, Is.EqualTo("browse"));
        Assert.That(await File.ReadAllTextAsync(Path.Combine(project, "LoadTests.cs")), Does.Contain("namespace ShopLoad;"));

        // The LoadKit packages are not on a feed here: the project's two package references become references to the
        // built projects of this repository, as a NuGet feed would give the same assemblies.
        await File.WriteAllTextAsync(Path.Combine(project, "Directory.Build.targets"), $"""
            <Project>
              <ItemGroup>
                <PackageReference Remove="LoadKit.Testing;LoadKit.PlanFiles" />
                <ProjectReference Include="{Path.Combine(Repository.Root, "src", "LoadKit.Testing", "LoadKit.Testing.csproj")};{Path.Combine(Repository.Root, "src", "LoadKit.PlanFiles", "LoadKit.PlanFiles.csproj")}" />
              </ItemGroup>
            </Project>
            """);
        var configuration = new DirectoryInfo(TestContext.CurrentContext.TestDirectory).Parent!.Name; // bin/<configuration>/net10.0
        var watch = Stopwatch.StartNew();
        var build = await LoadkitProcess.RunAsync("dotnet", project, new Dictionary<string, string>(), "build", "-c", configuration, "-p:BuildProjectReferences=false", "-nodeReuse:false");
        TestContext.Out.WriteLine($"built in {watch.Elapsed.TotalSeconds:0.0} s");

        Assert.That(build.ExitCode, Is.Zero, build.ToString());
        Assert.That(File.Exists(Path.Combine(project, "bin", configuration, "net10.0", "ShopLoad.dll")), Is.True);
        Assert.That(File.Exists(Path.Combine(project, "bin", configuration, "net10.0", "plan.yaml")), Is.True, "the plan travels with the test assembly");
    }

    [Test]
    public async Task Init_Problems_ExitTwoNamingTheSettingAndValue()
    {
        var name = await LoadkitProcess.RunAsync(_folder, "init", "tests", "--name", "2fast");
        var planName = await LoadkitProcess.RunAsync(_folder, "init", "plan", "--name", "Shop");
        var extra = await LoadkitProcess.RunAsync(_folder, "init", "tests", "a", "b");

        Assert.That(new[] { name, planName, extra }.Select(r => r.ExitCode), Has.All.EqualTo(2));
        Assert.That(name.Error, Does.Contain("--name = '2fast': a project name of letters, digits and '_'"));
        Assert.That(planName.Error, Does.Contain("--name = 'Shop': only for 'loadkit init tests'"));
        Assert.That(extra.Error, Does.Contain("'tests' 'a' 'b': allowed: [plan|tests] [DIR]"));
        Assert.That(Directory.GetFileSystemEntries(_folder), Is.Empty, "nothing written");
    }
}
