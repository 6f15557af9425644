using LoadKit.TestTargets;

namespace LoadKit.Cli.Tests.Reports;

/// <summary><c>loadkit report</c> as a process: the reports of a result a real run saved, written again.</summary>
public class ReportCommandTests
{
    private string _folder = "";
    private string _result = "";

    [SetUp]
    public async Task SaveAResult()
    {
        _folder = Directory.CreateTempSubdirectory("loadkit-report-").FullName;
        await using var server = await ValueServer.StartAsync();
        var scenario = Scenario.Create("saved")
            .WithHttp(new HttpSettings { BaseAddress = server.BaseAddress })
            .Step("use", Http.Get("/use/r"))
            .WithLoad(Load.SharedIterations(1, 7))
            .Build();
        var result = await LoadRunner.RunAsync([scenario], new RunOptions { Progress = ProgressMode.Off });
        _result = Path.Combine(_folder, "run", "result.json");
        result.WriteFile(_result);
    }

    [TearDown]
    public void Remove() => Directory.Delete(_folder, recursive: true);

    [Test]
    public async Task Report_SavedResult_PrintsItsSummaryAndWritesEveryReport()
    {
        var toFolder = await LoadkitProcess.RunAsync(_folder, "report", _result, "--report-dir", "again");
        var beside = await LoadkitProcess.RunAsync(_folder, "report", "run/result.json");

        Assert.That(toFolder.ExitCode, Is.Zero, toFolder.ToString());
        Assert.That(toFolder.Output, Does.Contain("Scenario 'saved'").And.Contain("7 iterations (7 ok"));
        Assert.That(new[] { "report.html", "summary.md", "result.json", "steps.csv", "timeline.csv" }.Select(f => File.Exists(Path.Combine(_folder, "again", f))), Has.All.True);
        Assert.That(LoadResult.ReadFile(Path.Combine(_folder, "again", "result.json")).GetStep("use").Ok, Is.EqualTo(7));
        Assert.That(await File.ReadAllTextAsync(Path.Combine(_folder, "again", "report.html")), Does.Contain("use"));
        Assert.That(beside.ExitCode, Is.Zero, beside.ToString());
        Assert.That(File.Exists(Path.Combine(_folder, "run", "report.html")), Is.True, "by default the reports go beside the result");
    }

    [Test]
    public async Task Report_Problems_ExitTwoNamingTheFileAndWhatIsWrong()
    {
        await File.WriteAllTextAsync(Path.Combine(_folder, "other.json"), """{ "name": "not a result" }""");

        var missing = await LoadkitProcess.RunAsync(_folder, "report", "gone.json");
        var other = await LoadkitProcess.RunAsync(_folder, "report", "other.json");
        var twice = await LoadkitProcess.RunAsync(_folder, "report", _result, "--out", "a", "--report-dir", "b");
        var none = await LoadkitProcess.RunAsync(_folder, "report");

        Assert.That(new[] { missing, other, twice, none }.Select(r => r.ExitCode), Has.All.EqualTo(2));
        Assert.That(missing.Error, Does.Contain($"loadkit report: RESULT = 'gone.json': no such file (looked for {Path.Combine(_folder, "gone.json")})"));
        Assert.That(other.Error, Does.Contain("loadkit report: RESULT = 'other.json': The file").And.Contain("is not a LoadKit result: it has no scenarios with named steps"));
        Assert.That(twice.Error, Does.Contain("--report-dir = 'b' and --out = 'a': the same option; give it once."));
        Assert.That(none.Error, Does.Contain("RESULT: missing"));
    }
}
