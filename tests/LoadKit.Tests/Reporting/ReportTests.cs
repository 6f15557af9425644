using System.Diagnostics;
using LoadKit.TestTargets;

namespace LoadKit.Tests.Reporting;

public class ReportTests
{
    private static string Golden => Path.Combine(Repository.Root, "tests", "LoadKit.Tests", "Reporting", "Golden");

    [Test]
    public async Task Html_RealRun_RendersInHeadlessChromiumWithChartsAndNoScriptErrors()
    {
        await using var server = await DelayServer.StartAsync(("/fast", TimeSpan.FromMilliseconds(2)), ("/slow", TimeSpan.FromMilliseconds(30)));
        var scenario = Scenario.Create("report <demo>")
            .Step("fast", server.Get("/fast"))
            .Step("slow", server.Get("/slow"))
            .Step("flaky", server.Get(ctx => ctx.Iteration % 5 == 0 ? "/fail" : "/fast"))
            .WithLoad(Load.ArrivalRate(40, TimeSpan.FromSeconds(3), preAllocatedUsers: 5, maxUsers: 20))
            .WithThresholds(Threshold.Step("slow").Percentile(95).Below(TimeSpan.FromMilliseconds(10)), Threshold.AllSteps.Max.Below(TimeSpan.FromSeconds(5)))
            .Build();
        var result = await LoadRunner.RunAsync(scenario);
        var folder = Directory.CreateTempSubdirectory("loadkit-report-").FullName;

        var files = await Report.WriteAsync(result, folder);
        var (screenshot, log, dom) = await ChromiumAsync(files.Html, folder);

        TestContext.Out.WriteLine($"screenshot: {screenshot}");
        var png = Png.Read(screenshot);
        var ink = png.InkShare();
        TestContext.Out.WriteLine($"{png.Width}x{png.Height}, {ink:P1} of the pixels are not background");
        Assert.That(ink, Is.GreaterThan(0.01), "the page shows text, tables and charts (a blank page has none)");
        Assert.That(dom, Does.Contain("<svg").And.Contain("<path d=\"M"), "the charts have lines");
        Assert.That(dom, Does.Contain("report &lt;demo&gt;"), "names are escaped, not markup");
        Assert.That(System.Text.RegularExpressions.Regex.Matches(dom, "<svg class=\"chart\"").Count, Is.EqualTo(4), "throughput, latency, VUs and generator CPU");
        Assert.That(File.ReadAllText(files.Html), Does.Not.Contain("<script").And.Not.Contain(" src=").And.Not.Contain(" href=").And.Not.Contain("url("),
            "self-contained: no script and no external URL");
        Assert.That(log, Does.Not.Contain("Uncaught").And.Not.Contain(":ERROR:CONSOLE"), "no script errors");
        TestContext.AddTestAttachment(screenshot, "the report as Chromium rendered it");
    }

    [Test]
    public void Markdown_DistributedResultWithThresholds_MatchesTheGoldenFile()
    {
        var result = LoadResult.FromJson(File.ReadAllText(Path.Combine(Golden, "distributed-result.json")));

        var markdown = Report.Markdown(result);

        var golden = Path.Combine(Golden, "distributed-summary.md");
        if (Environment.GetEnvironmentVariable("LOADKIT_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(golden, markdown);
        }

        Assert.That(markdown, Is.EqualTo(File.ReadAllText(golden)),
            $"Report.Markdown changed; if that is intended, rerun with LOADKIT_UPDATE_GOLDEN=1 and review the diff of {golden}");
    }

    [Test]
    public void Html_DistributedResult_ShowsWorkersClockOffsetsAndStartSkew()
    {
        var result = LoadResult.FromJson(File.ReadAllText(Path.Combine(Golden, "distributed-result.json")));

        var html = Report.Html(result);

        Assert.That(html, Does.Contain("<h2>Workers</h2>").And.Contain("Start skew: ").And.Contain("clock offset"));
        foreach (var worker in result.Workers)
        {
            Assert.That(html, Does.Contain(worker.Id));
        }

        Assert.That(html, Does.Contain("1 of 2 thresholds crossed").And.Contain("Throughput per worker"));
    }

    [Test]
    public void Html_DistributedResultWithABusyWorker_ChartsEachWorkersCpuAndWarnsOfTheBusyOne()
    {
        var result = LoadResult.FromJson(File.ReadAllText(Path.Combine(Golden, "distributed-result.json")));

        var html = Report.Html(result);

        var generators = html[html.IndexOf("<h2>Load generators</h2>", StringComparison.Ordinal)..];
        Assert.That(generators, Does.Contain("<strong>Warning:</strong> generator vm-26724-a67aaf used 96.2 %"));
        Assert.That(generators, Does.Not.Contain("generator vm-26725-d1332c used"), "only the worker above 90 % is warned of");
        Assert.That(generators, Does.Contain("aria-label=\"Generator CPU\"").And.Contain("<title>vm-26724-a67aaf</title>").And.Contain("<title>vm-26725-d1332c</title>"),
            "one line per worker, never averaged");
    }

    [Test]
    public async Task WriteAsync_AnyResult_WritesFiveFilesThatReadBack()
    {
        var scenario = Scenario.Create("csv, \"quoted\"")
            .Step("a,b", ctx => { if (ctx.Iteration == 0) { ctx.Fail("first"); } return ValueTask.CompletedTask; })
            .WithLoad(Load.IterationsPerUser(1, 4))
            .Build();
        var result = await LoadRunner.RunAsync(scenario);
        var folder = Directory.CreateTempSubdirectory("loadkit-report-").FullName;

        var files = await Report.WriteAsync(result, folder);

        Assert.That(files.All.Select(Path.GetFileName), Is.EqualTo(new[] { "report.html", "summary.md", "result.json", "steps.csv", "timeline.csv" }));
        Assert.That(files.All.Select(File.Exists), Is.All.True);
        Assert.That(LoadResult.FromJson(File.ReadAllText(files.Json)).GetStep("a,b").Ok, Is.EqualTo(3));
        var steps = File.ReadAllLines(files.StepsCsv);
        Assert.That(steps[0], Does.StartWith("scenario,step,ok,failed,timed_out,cancelled,rps,"));
        Assert.That(steps[1], Does.StartWith("\"csv, \"\"quoted\"\"\",\"a,b\",3,1,0,0,"));
        Assert.That(File.ReadAllLines(files.TimelineCsv), Has.Length.EqualTo(1 + result.GetStep("a,b").Timeline.Count));
        foreach (var file in files.All)
        {
            var start = File.ReadAllBytes(file).Take(3).ToArray();
            Assert.That(start, Is.Not.EqualTo(new byte[] { 0xEF, 0xBB, 0xBF }), $"{Path.GetFileName(file)} starts with a UTF-8 byte-order mark");
        }
    }

    /// <summary>Renders the page headless: a screenshot, Chromium's log (console messages included) and the DOM it built.</summary>
    private static async Task<(string Screenshot, string Log, string Dom)> ChromiumAsync(string html, string folder)
    {
        var screenshot = Path.Combine(folder, "report.png");
        string[] common = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
            $"--user-data-dir={Path.Combine(folder, "chromium")}", "--window-size=1280,2200"];
        var (log, _) = await RunAsync([.. common, $"--screenshot={screenshot}", new Uri(html).AbsoluteUri]);
        var (dumpLog, dom) = await RunAsync([.. common, "--dump-dom", new Uri(html).AbsoluteUri]);
        Assert.That(File.Exists(screenshot), Is.True, $"Chromium wrote no screenshot:{Environment.NewLine}{log}");
        return (screenshot, log + dumpLog, dom);
    }

    private static async Task<(string StandardError, string StandardOutput)> RunAsync(string[] arguments)
    {
        var start = new ProcessStartInfo("chromium") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var chromium = Process.Start(start)!;
        var output = chromium.StandardOutput.ReadToEndAsync();
        var error = chromium.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await chromium.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            chromium.Kill(entireProcessTree: true); // the one this test started, by its handle
            throw new TimeoutException("Chromium did not finish within 60 s.");
        }

        return (await error, await output);
    }
}
