using System.Reflection;
using System.Xml.Linq;
using LoadKit.Testing;
using LoadKit.TestTargets;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace LoadKit.Cli.Tests.Init;

/// <summary><c>loadkit init</c> as a process: the plan it writes validates; the project it writes compiles against this LoadKit.</summary>
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
    public async Task Init_Tests_WritesAnNUnitProjectWhoseCodeCompilesAndWhosePackagesExist()
    {
        var init = await LoadkitProcess.RunAsync(_folder, "init", "tests", "shop-load");

        var project = Path.Combine(_folder, "shop-load");
        Assert.That(init.ExitCode, Is.Zero, init.ToString());
        Assert.That(Directory.GetFiles(project).Select(Path.GetFileName), Is.EquivalentTo(new[] { "ShopLoad.csproj", "LoadTests.cs", "plan.yaml", "plan.schema.json" }));
        Assert.That(PlanFile.Load(Path.Combine(project, "plan.yaml")).Scenarios.Single().Name, Is.EqualTo("browse"));

        // The project: LoadKit packages of this version (packable projects here), the others at versions served here.
        var csproj = XDocument.Load(Path.Combine(project, "ShopLoad.csproj"));
        var version = typeof(Scenario).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
        Assert.That(csproj.Descendants("LoadKitVersion").Single().Value, Is.EqualTo(version));
        var served = XDocument.Load(Path.Combine(Repository.Root, "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(p => p.Attribute("Include")!.Value, p => p.Attribute("Version")!.Value);
        foreach (var reference in csproj.Descendants("PackageReference"))
        {
            var (id, referenced) = (reference.Attribute("Include")!.Value, reference.Attribute("Version")!.Value);
            Assert.That(id.StartsWith("LoadKit.", StringComparison.Ordinal)
                ? File.Exists(Path.Combine(Repository.Root, "src", id, id + ".csproj")) && referenced == "$(LoadKitVersion)"
                : served.GetValueOrDefault(id) == referenced, Is.True, $"{id} {referenced}");
        }

        // The code, as its project compiles it (net10.0, implicit usings, nullable), against the LoadKit this test has.
        var code = await File.ReadAllTextAsync(Path.Combine(project, "LoadTests.cs"));
        Assert.That(code, Does.Contain("namespace ShopLoad;"));
        var errors = Compile(code);
        Assert.That(errors, Is.Empty, string.Join(Environment.NewLine, errors));
    }

    private static IReadOnlyList<string> Compile(string code)
    {
        const string ImplicitUsings = "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; " +
            "global using System.Net.Http; global using System.Threading; global using System.Threading.Tasks;";
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        Assembly[] used = [typeof(Scenario).Assembly, typeof(LoadTest).Assembly, typeof(PlanFile).Assembly, typeof(Assert).Assembly, typeof(FluentAssertions.AssertionExtensions).Assembly];
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat(used.Select(a => a.Location)).Distinct().Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create(
            "ShopLoad",
            [CSharpSyntaxTree.ParseText(ImplicitUsings, parse), CSharpSyntaxTree.ParseText(code, parse)],
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
                // As the SDK does (NoWarn 1701;1702): FluentAssertions 6 names the .NET 6 versions of framework assemblies.
                .WithSpecificDiagnosticOptions([new("CS1701", ReportDiagnostic.Suppress), new("CS1702", ReportDiagnostic.Suppress)]));
        using var image = new MemoryStream();
        return [.. compilation.Emit(image).Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString())];
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

    [TestCase("import", "loadkit import FILE [-o PLAN] [options]")]
    [TestCase("report", "loadkit report RESULT.json [--report-dir DIR]")]
    [TestCase("init", "loadkit init [plan|tests] [DIR] [--name NAME] [--force]")]
    public async Task Help_OfACommand_PrintsItsUsageAndWritesNothing(string command, string usage)
    {
        var help = await LoadkitProcess.RunAsync(_folder, command, "--help");

        Assert.That(help.ExitCode, Is.Zero, help.ToString());
        Assert.That(help.Output, Does.StartWith(usage));
        Assert.That(Directory.GetFileSystemEntries(_folder), Is.Empty);
    }
}
