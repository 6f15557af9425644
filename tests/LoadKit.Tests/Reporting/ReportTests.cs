using System.Text.Json;
using System.Text.RegularExpressions;
using LoadKit.TestTargets;
using Microsoft.Playwright;

namespace LoadKit.Tests.Reporting;

public class ReportTests
{
    private static string Golden => Path.Combine(Repository.Root, "tests", "LoadKit.Tests", "Reporting", "Golden");

    [Test]
    public async Task Html_RealRun_RendersInChromiumWithInteractiveChartsOfTheResultsTimelines()
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
        await using var page = await ReportPage.OpenAsync(files.Html);

        var charts = await page.ChartsAsync();
        Assert.That(charts.Select(c => c.Title), Is.EqualTo(new[] { "Throughput", "Latency of successful calls", "Virtual users", "Generator CPU" }));
        AssertChartsShow(charts, ExpectedCharts(result));
        Assert.That(await page.Page.InnerTextAsync("h1"), Does.Contain("report <demo>"), "names are escaped, not markup");

        // Hover: the legend shows the values of the second under the pointer.
        var box = (await page.Page.Locator("#chart-1 .u-over").BoundingBoxAsync())!;
        await page.Page.Mouse.MoveAsync(box.X + (box.Width / 2), box.Y + (box.Height / 2));
        var hovered = await page.Page.EvaluateAsync<int?>("() => loadkitCharts[0].cursor.idx");
        Assert.That(hovered, Is.Not.Null, "the cursor is on a second");
        var legend = await page.Page.Locator("#chart-1 .u-legend .u-series:nth-child(2) .u-value").InnerTextAsync();
        Assert.That(legend, Is.EqualTo(result.Scenarios[0].AllSteps.Timeline[hovered!.Value].Ok.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)),
            "the legend holds the hovered second's ok count");

        // Drag: the chart zooms to the dragged seconds; a double click shows the whole run again.
        var full = await page.XRangeAsync(0);
        await page.Page.Mouse.MoveAsync(box.X + (box.Width * 0.3f), box.Y + (box.Height / 2));
        await page.Page.Mouse.DownAsync();
        await page.Page.Mouse.MoveAsync(box.X + (box.Width * 0.7f), box.Y + (box.Height / 2), new MouseMoveOptions { Steps = 5 });
        await page.Page.Mouse.UpAsync();
        var zoomed = await page.XRangeAsync(0);
        Assert.That(zoomed.Min, Is.GreaterThan(full.Min), $"zoomed from {full} to {zoomed}");
        Assert.That(zoomed.Max, Is.LessThan(full.Max), $"zoomed from {full} to {zoomed}");
        await page.Page.Mouse.DblClickAsync(box.X + (box.Width / 2), box.Y + (box.Height / 2));
        Assert.That(await page.XRangeAsync(0), Is.EqualTo(full), "a double click resets the zoom");

        var screenshot = Path.Combine(folder, "report.png");
        await page.Page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        var png = Png.Read(screenshot);
        var ink = png.InkShare();
        TestContext.Out.WriteLine($"{new FileInfo(files.Html).Length:N0} bytes; {png.Width}x{png.Height}, {ink:P1} of the pixels are not background");
        Assert.That(ink, Is.GreaterThan(0.01), "the page shows text, tables and charts (a blank page has none)");
        Assert.That(page.Errors, Is.Empty, "no console errors and no uncaught exceptions");
        Assert.That(page.Requests, Is.EqualTo(new[] { new Uri(files.Html).AbsoluteUri }), "self-contained: the page loads nothing else");
        TestContext.AddTestAttachment(screenshot, "the report as Chromium rendered it");
    }

    [Test]
    public async Task Html_DistributedResult_ChartsEachWorkerAndGeneratorInChromium()
    {
        var result = LoadResult.FromJson(File.ReadAllText(Path.Combine(Golden, "distributed-result.json")));
        var folder = Directory.CreateTempSubdirectory("loadkit-report-").FullName;
        var html = Path.Combine(folder, "report.html");
        await File.WriteAllTextAsync(html, Report.Html(result));

        await using var page = await ReportPage.OpenAsync(html);

        var charts = await page.ChartsAsync();
        Assert.That(charts.Select(c => c.Title), Is.EqualTo(new[] { "Throughput", "Latency of successful calls", "Virtual users", "Throughput per worker", "Generator CPU" }));
        AssertChartsShow(charts, ExpectedCharts(result));
        Assert.That(page.Errors, Is.Empty, "no console errors and no uncaught exceptions");
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
        var cpu = ChartData(html).Single(c => c.GetProperty("title").GetString() == "Generator CPU");
        Assert.That(cpu.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("name").GetString()), Is.EqualTo(new[] { "vm-26724-a67aaf", "vm-26725-d1332c" }),
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

    /// <summary>The charts' data as the page embeds it (the JSON of <c>#loadkit-charts</c>).</summary>
    private static JsonElement[] ChartData(string html)
    {
        var json = Regex.Match(html, "<script type=\"application/json\" id=\"loadkit-charts\">(.*?)</script>", RegexOptions.Singleline);
        Assert.That(json.Success, Is.True, "the page embeds its charts' data");
        return [.. JsonDocument.Parse(json.Groups[1].Value).RootElement.EnumerateArray()];
    }

    /// <summary>Each chart the report should draw: its title and per line its name and points (a second without a value has none).</summary>
    private static List<(string Title, (string Name, (int Second, double Value)[] Points)[] Lines)> ExpectedCharts(LoadResult result)
    {
        static (int, double)[] Latency(IReadOnlyList<TimelinePoint> timeline, double percentile) =>
            [.. timeline.Where(p => p.Latency.Count > 0).Select(p => (p.Second, p.Latency.Percentile(percentile).TotalMilliseconds))];

        var charts = new List<(string, (string, (int, double)[])[])>();
        foreach (var scenario in result.Scenarios)
        {
            var all = scenario.AllSteps.Timeline;
            charts.Add(("Throughput", [("ok", [.. all.Select(p => (p.Second, (double)p.Ok))]), ("failed or timed out", [.. all.Select(p => (p.Second, (double)(p.Failed + p.TimedOut)))])]));
            charts.Add(("Latency of successful calls", [("p50", Latency(all, 50)), ("p95", Latency(all, 95)), ("p99", Latency(all, 99))]));
            charts.Add(("Virtual users", [("active", [.. scenario.Timeline.Select(p => (p.Second, (double)p.ActiveUsers))]),
                ("dropped iterations", [.. scenario.Timeline.Select(p => (p.Second, (double)p.Dropped))])]));
        }

        if (result.Workers.Count > 0)
        {
            charts.Add(("Throughput per worker", [.. result.Workers.Select(w => (w.Id, w.Result.Scenarios.SelectMany(s => s.Steps).SelectMany(s => s.Timeline)
                .GroupBy(p => p.Second).Select(g => (g.Key, (double)g.Sum(p => p.Ok + p.Failed + p.TimedOut))).OrderBy(p => p.Key).ToArray()))]));
        }

        if (result.Generators.Count > 0)
        {
            charts.Add(("Generator CPU", [.. result.Generators.Select(g => (g.Process, g.Samples.Select(s => (s.Second, s.CpuPercent)).ToArray()))]));
        }

        return charts;
    }

    /// <summary>Each chart has its canvas, one series per expected line, and the result's figures as its points.</summary>
    private static void AssertChartsShow(IReadOnlyList<ReportPage.Chart> charts, List<(string Title, (string Name, (int Second, double Value)[] Points)[] Lines)> expected)
    {
        Assert.That(charts, Has.Count.EqualTo(expected.Count));
        foreach (var (chart, (title, lines)) in charts.Zip(expected))
        {
            Assert.That(chart.Title, Is.EqualTo(title));
            Assert.That(chart.Canvases, Is.EqualTo(1), $"{title}: uPlot drew it on a canvas");
            Assert.That(chart.Series, Is.EqualTo(lines.Select(l => l.Name)), $"{title}: one series per line");
            for (var i = 0; i < lines.Length; i++)
            {
                Assert.That(chart.Points(i), Is.EqualTo(lines[i].Points), $"{title}, {lines[i].Name}: the result's timeline");
            }
        }
    }
}
