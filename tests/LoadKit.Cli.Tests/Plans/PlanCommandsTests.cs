using System.Text.Json;
using System.Text.RegularExpressions;
using LoadKit.TestTargets;

namespace LoadKit.Cli.Tests.Plans;

/// <summary><c>loadkit validate</c>, <c>loadkit schema</c> and the tool's own help, as processes.</summary>
public class PlanCommandsTests
{
    private string _folder = "";

    [SetUp]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("loadkit-cli-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_folder, recursive: true);

    [Test]
    public async Task Validate_ValidPlan_ExitsZeroNamingItsScenarios()
    {
        // The shipped sample: weighted tasks, pre-work, every extraction and check.
        var run = await LoadkitProcess.RunAsync(_folder, "validate", Path.Combine(Repository.Root, "samples", "Plans", "checkout.yaml"));

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Match(@"checkout\.yaml: valid \(\d+ scenarios?: .+\)\."));
        Assert.That(run.Error, Is.Empty);
    }

    [Test]
    public async Task Validate_PlanWithProblems_ExitsTwoPrintingEveryProblemAsFileLineColumnPathValueAllowed()
    {
        await File.WriteAllTextAsync(Path.Combine(_folder, "shop.json"), """
            {
              "http": { "baseAddress": "http://127.0.0.1:5000", "version": "3" },
              "scenarios": [
                { "name": "shop",
                  "steps": [ { "name": "home", "request": { "url": "/", "method": "FETCH" } } ],
                  "load": [ { "constantUsers": { "users": 1, "during": "soon" } } ],
                  "thresholds": [ { "metric": "p101", "below": "1s" } ] }
              ]
            }
            """);

        var run = await LoadkitProcess.RunAsync(_folder, "validate", "shop.json");

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        var problems = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1).ToArray();
        Assert.That(run.Error, Does.StartWith("loadkit validate: shop.json has 4 problems:"));
        Assert.That(problems, Has.Length.EqualTo(4));
        Assert.That(problems, Has.All.Match(@"^/.*shop\.json:\d+:\d+: \S+ = .+: .+$"), "file:line:col: path = value: allowed");
        Assert.That(problems, Has.Some.Contains("shop.json:2:").And.Some.Contains("http.version = '3'"));
        Assert.That(problems, Has.Some.Contains("scenarios[0].steps[0].request.method = 'FETCH'"));
        Assert.That(problems, Has.Some.Contains("scenarios[0].load[0].constantUsers.during = 'soon'"));
        Assert.That(problems, Has.Some.Contains("scenarios[0].thresholds[0] = p101").And.Some.Contains("a percentile greater than 0 and at most 100"));
    }

    [TestCase(new string[0], "PLAN: missing; give the path of a plan file")]
    [TestCase(new[] { "missing.yaml" }, "PLAN = 'missing.yaml': no such file")]
    [TestCase(new[] { "a.yaml", "b.yaml" }, "PLAN = 'a.yaml' 'b.yaml': one plan file at a time.")]
    [TestCase(new[] { "a.yaml", "--strict" }, "--strict: not an option of 'loadkit validate'")]
    public async Task Validate_BadArguments_ExitsTwoSayingWhatIsWrong(string[] arguments, string message)
    {
        var run = await LoadkitProcess.RunAsync(_folder, ["validate", .. arguments]);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain(message));
    }

    [Test]
    public async Task Schema_PrintsThePlanSchemaOfTheDocs()
    {
        var run = await LoadkitProcess.RunAsync(_folder, "schema");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Is.EqualTo(await File.ReadAllTextAsync(Path.Combine(Repository.Root, "docs", "plan.schema.json"))));
        using var schema = JsonDocument.Parse(run.Output);
        Assert.That(schema.RootElement.GetProperty("title").GetString(), Is.EqualTo("LoadKit plan"));
    }

    [Test]
    public async Task Schema_WithAnArgument_ExitsTwo()
    {
        var run = await LoadkitProcess.RunAsync(_folder, "schema", "plan.schema.json");

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("'plan.schema.json': loadkit schema takes no argument"));
    }

    [TestCase("validate", "loadkit validate PLAN")]
    [TestCase("schema", "loadkit schema")]
    public async Task Help_OfACommand_ExitsZeroWithItsUsage(string command, string usage)
    {
        var run = await LoadkitProcess.RunAsync(_folder, command, "--help");

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.StartWith(usage));
    }

    [Test]
    public async Task Loadkit_NoCommandOrAnUnknownOne_ExitsTwoListingTheCommands()
    {
        var none = await LoadkitProcess.RunAsync(_folder);
        var unknown = await LoadkitProcess.RunAsync(_folder, "record", "x.har");
        var help = await LoadkitProcess.RunAsync(_folder, "--help");

        Assert.That(none.ExitCode, Is.EqualTo(2), none.ToString());
        Assert.That(none.Output, Does.Contain("loadkit run PLAN [options]"));
        Assert.That(unknown.ExitCode, Is.EqualTo(2), unknown.ToString());
        Assert.That(unknown.Error, Does.Contain("loadkit: 'record' is not a command; allowed: run, validate, schema, workers, serve, import, report, init"));
        Assert.That(help.ExitCode, Is.Zero, help.ToString());
        Assert.That(Regex.Matches(help.Output, @"^  loadkit (run|validate|schema|workers|import|report|init)\b", RegexOptions.Multiline), Has.Count.EqualTo(8), "run PLAN, run TESTS.dll, validate, schema, workers, import, report, init");
    }
}
