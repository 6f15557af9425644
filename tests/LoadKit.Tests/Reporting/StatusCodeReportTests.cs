using System.Net;
using LoadKit.TestTargets;

namespace LoadKit.Tests.Reporting;

/// <summary>HTTP status codes per step in every report, from a real run against Kestrel on 127.0.0.1.</summary>
public class StatusCodeReportTests
{
    [Test]
    public async Task WriteAsync_StepWithSeveralStatuses_EveryReportCountsEachStatusPerStep()
    {
        await using var server = await DelayServer.StartAsync(("/fast", TimeSpan.FromMilliseconds(1)));
        var calls = 0;
        var scenario = Scenario.Create("statuses")
            .WithHttp(new HttpSettings { BaseAddress = server.BaseAddress })
            .Step("choose", ctx =>
            {
                // Every fifth call gets a 500.
                ctx.Session.Set("path", Interlocked.Increment(ref calls) % 5 == 0 ? "fail" : "fast");
                return ValueTask.CompletedTask;
            })
            .Step("flaky", Http.Get("/{{path}}"))
            .WithLoad(Load.IterationsPerUser(2, 10))
            .Build();
        var result = await LoadRunner.RunAsync(scenario).WaitAsync(TimeSpan.FromSeconds(60));
        var folder = Directory.CreateTempSubdirectory("loadkit-report-").FullName;

        var files = await Report.WriteAsync(result, folder);

        var flaky = result.GetStep("flaky").Http!;
        Assert.That((flaky.Count(200), flaky.Count(500)), Is.EqualTo((16L, 4L)));
        Assert.That(SummaryTable.Render(result), Does.Contain("    flaky: 200 × 16, 500 × 4; body bytes sent 0"));
        Assert.That(File.ReadAllText(files.Markdown), Does.Contain("| step | protocol | status codes |").And.Contain("| flaky | http | 200 × 16, 500 × 4 |"));
        Assert.That(WebUtility.HtmlDecode(File.ReadAllText(files.Html)), Does.Contain("<h3>Status codes</h3>")
            .And.Contain("<td class=\"text\">flaky</td><td class=\"text\">http</td><td class=\"text\">200 × 16, 500 × 4</td>"));
        var csv = File.ReadAllLines(files.StepsCsv);
        Assert.That(csv[0], Does.EndWith(",max_ms,http_200,http_500"));
        Assert.That(csv[1], Does.StartWith("statuses,choose,20,0,").And.EndWith(",,"), "a step without HTTP statistics has no counts (missing, not 0)");
        Assert.That(csv[2], Does.StartWith("statuses,flaky,16,4,").And.EndWith(",16,4"));
        Directory.Delete(folder, recursive: true);
    }
}
