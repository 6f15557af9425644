using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using LoadKit.TestTargets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;

namespace LoadKit.ControlPage.Tests;

/// <summary>
/// <c>loadkit serve</c>'s page with a real etcd, two real workers and a real HTTP target on 127.0.0.1, driven in the
/// system's Chromium. One page for the class (the tests run in order: the run of the third is what the later ones
/// look at), so the processes start once.
/// </summary>
[NonParallelizable]
public class ControlPageServerTests
{
    private const string WorkerToken = "control-page-test-token-0123456789";
    private const string AccessToken = "page-access-token-0123456789";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private EtcdServer _etcd = null!;
    private LocalWorkers _workers = null!;
    private WebApplication _target = null!;
    private ControlPageServer _server = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private IPage _page = null!;
    private string _folder = "";
    private string _targetAddress = "";
    private string? _runId;
    private long _editorHits;
    private long _factoryHits;
    private long _checkoutHits;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _folder = Directory.CreateTempSubdirectory("loadkit-page-").FullName;
        _etcd = await EtcdServer.StartAsync();
        _workers = LocalWorkers.Start(2, _etcd.Url, "page", WorkerToken, "tests/LoadKit.ControlPage.Tests");
        _target = LoopbackApp.Create();
        _target.MapGet("/", () => "ok");
        _target.MapGet("/editor", () =>
        {
            Interlocked.Increment(ref _editorHits);
            return "ok";
        });
        _target.MapGet("/use/factory", () =>
        {
            Interlocked.Increment(ref _factoryHits);
            return "ok";
        });
        _target.MapGet("/use/checkout", () =>
        {
            Interlocked.Increment(ref _checkoutHits);
            return "ok";
        });
        var target = (await LoopbackApp.StartAsync(_target))[0];

        // The uploaded test assembly's factories read their target from SHOP_URL, here and (forwarded) on the workers.
        Environment.SetEnvironmentVariable("SHOP_URL", target.ToString());
        _targetAddress = target.ToString().TrimEnd('/');
        Directory.CreateDirectory(Path.Combine(_folder, "plans"));
        await File.WriteAllTextAsync(Path.Combine(_folder, "plans", "shop.yaml"), $"""
            http:
              baseAddress: {target}
            scenarios:
              - name: shop
                steps:
                  - name: home
                    request: {"{"} url: / {"}"}
                load:
                  - arrivalRate: {"{"} rate: 40, during: 4s, preAllocatedUsers: 2, maxUsers: 40 {"}"}
                thresholds:
                  - {"{"} step: home, metric: p95, below: 2s {"}"}
            """);
        _server = await StartServerAsync(new ClusterOptions([new Uri(_etcd.Url)], 1, WorkerToken) { Prefix = "page", WorkerWait = TimeSpan.FromSeconds(20), Forward = ["SHOP_URL"] });

        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync();
        _browser = await HeadlessChromium.LaunchAsync(_playwright);
        _page = await _browser.NewPageAsync();
        _page.SetDefaultTimeout((float)Bound.TotalMilliseconds);
    }

    private Task<ControlPageServer> StartServerAsync(ClusterOptions? cluster) => ControlPageServer.StartAsync(new ControlPageOptions
    {
        Folder = _folder,
        Listen = new IPEndPoint(IPAddress.Loopback, 0),
        Cluster = cluster,
        AccessToken = AccessToken,
    });

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_workers is not null)
        {
            await _workers.DisposeAsync();
        }

        if (_target is not null)
        {
            await _target.DisposeAsync();
        }

        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
        }

        Environment.SetEnvironmentVariable("SHOP_URL", null);
        Directory.Delete(_folder, recursive: true);
    }

    [Test]
    [Order(1)]
    public async Task Api_WithoutToken_Answers401AndThePageAsksToLogIn()
    {
        using var client = new HttpClient { BaseAddress = _server.Address };
        var workers = await client.GetAsync(new Uri("/api/workers", UriKind.Relative));
        var start = await client.PostAsync(new Uri("/api/runs", UriKind.Relative), new StringContent("""{"plan":"shop.yaml"}""", Encoding.UTF8, "application/json"));
        var page = await client.GetAsync(new Uri("/", UriKind.Relative));

        workers.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        start.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        page.RequestMessage!.RequestUri!.AbsolutePath.Should().Be("/login", "the page redirects to its login form");
        Directory.EnumerateDirectories(Path.Combine(_folder, "runs")).Should().BeEmpty("nothing started without the token");
    }

    [Test]
    [Order(2)]
    public async Task Api_CrossSitePostWithTheToken_Answers403()
    {
        using var client = new HttpClient { BaseAddress = _server.Address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AccessToken);
        using var fromOrigin = new HttpRequestMessage(HttpMethod.Post, "/api/runs") { Content = new StringContent("""{"plan":"shop.yaml"}""", Encoding.UTF8, "application/json") };
        fromOrigin.Headers.Add("Origin", "http://attacker.example");
        using var fetchSite = new HttpRequestMessage(HttpMethod.Post, "/api/runs") { Content = new StringContent("""{"plan":"shop.yaml"}""", Encoding.UTF8, "application/json") };
        fetchSite.Headers.Add("Sec-Fetch-Site", "cross-site");

        var byOrigin = await client.SendAsync(fromOrigin);
        var bySite = await client.SendAsync(fetchSite);
        var plans = await client.GetAsync(new Uri("/api/plan-files", UriKind.Relative));

        byOrigin.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await byOrigin.Content.ReadAsStringAsync()).Should().Contain("attacker.example");
        bySite.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        plans.StatusCode.Should().Be(HttpStatusCode.OK, "the token itself is accepted");
        Directory.EnumerateDirectories(Path.Combine(_folder, "runs")).Should().BeEmpty();
    }

    [Test]
    [Order(3)]
    public async Task Page_LoggedIn_ListsBothWorkersIdleWithTheirLabels()
    {
        await LogInAsync();

        await Assertions.Expect(_page.Locator("#workers-table tbody tr[data-worker]")).ToHaveCountAsync(2);
        var rows = await _page.Locator("#workers-table tbody tr[data-worker]").AllInnerTextsAsync();
        rows.Should().HaveCount(2).And.OnlyContain(r => r.Contains("idle", StringComparison.Ordinal));
        rows.Should().ContainSingle(r => r.Contains("n=1", StringComparison.Ordinal)).And.ContainSingle(r => r.Contains("n=2", StringComparison.Ordinal));
        rows.Should().OnlyContain(r => r.Contains(" s ago", StringComparison.Ordinal), "each shows its last heartbeat");
    }

    [Test]
    [Order(4)]
    public async Task Page_PlanStartedOnTwoWorkersByClicks_ChartsEndOnTheResultsPerSecondFigures()
    {
        await LogInAsync();
        await _page.ClickAsync("#tab-runs");
        await _page.SelectOptionAsync("#start-plan", "shop.yaml");
        await _page.FillAsync("#start-workers", "2");
        await _page.ClickAsync("#start");

        // Both workers claimed by the run (from its preparation to its end: looked at first, while the load has not
        // ended even on a loaded machine), then live points arriving while it runs.
        await _page.ClickAsync("#tab-workers");
        await Assertions.Expect(_page.Locator("#workers-table .worker-state", new() { HasTextString = "claimed by run" })).ToHaveCountAsync(2);
        await _page.ClickAsync("#tab-runs");
        await _page.WaitForFunctionAsync("() => window.loadkitCharts.seconds.length >= 2 && window.loadkitLive.live.state === 'running'");
        await Assertions.Expect(_page.Locator("#live-state")).ToHaveTextAsync("finished", new() { Timeout = 45_000 });
        await Assertions.Expect(_page.Locator("#runs-table tbody tr")).ToHaveCountAsync(1);

        _runId = await _page.Locator("#runs-table tbody tr").First.GetAttributeAsync("data-run");
        var result = LoadResult.ReadFile(Path.Combine(_folder, "runs", _runId!, "result.json"));
        var home = result.GetStep("home");
        var charts = JsonDocument.Parse(await _page.EvaluateAsync<string>("() => JSON.stringify(window.loadkitCharts)")).RootElement;
        var seconds = charts.GetProperty("seconds").EnumerateArray().Select(s => s.GetInt32()).ToArray();
        var requests = charts.GetProperty("requests").EnumerateArray().Select(s => s.GetInt64()).ToArray();
        var p95 = charts.GetProperty("latency").GetProperty("home").GetProperty("p95").EnumerateArray().Select(s => s.GetDouble()).ToArray();
        seconds.Should().Equal(home.Timeline.Select(p => p.Second));
        requests.Should().Equal(home.Timeline.Select(p => p.Ok + p.Failed + p.TimedOut));
        p95[^1].Should().BeApproximately(home.Timeline[^1].Latency.P95.TotalMilliseconds, 0.001);
        result.Workers.Should().HaveCount(2);
        home.Ok.Should().BeGreaterThan(100, "40/s for 4 s, less what the slowest start misses");
        await Assertions.Expect(_page.Locator("#chart-requests .uplot")).ToHaveCountAsync(1); // drawn by the embedded uPlot
        await Assertions.Expect(_page.Locator("#chart-latency .uplot")).ToHaveCountAsync(1);
        await Assertions.Expect(_page.Locator("#thresholds tbody")).ToContainTextAsync("passing");
        await Assertions.Expect(_page.Locator("#log")).ToContainTextAsync("passed: 1 thresholds");

        // Each worker's start, and its own log lines (forwarded live over its stream), under its name.
        var log = await _page.Locator("#log").InnerTextAsync();
        foreach (var worker in result.Workers)
        {
            log.Should().Contain($"[{worker.Id}] Started: ", $"worker {worker.Id}'s start");
            log.Should().Contain($"[{worker.Id}] Log: ", $"a log line of worker {worker.Id}");
        }
    }

    [Test]
    [Order(5)]
    public async Task Page_FinishedRun_ItsReportOpensFromTheList()
    {
        _runId.Should().NotBeNull("the run of the previous test");
        await LogInAsync();
        await _page.ClickAsync("#tab-runs");

        var report = await _page.Context.RunAndWaitForPageAsync(() => _page.ClickAsync($"#runs-table tr[data-run='{_runId}'] a.report-report"));
        await report.WaitForLoadStateAsync();

        report.Url.Should().EndWith($"/runs/{_runId}/report.html");
        (await report.ContentAsync()).Should().Contain("home");
        await report.CloseAsync();
    }

    [Test]
    [Order(6)]
    public async Task StartAsync_SameFolderAgain_ListsTheFinishedRun()
    {
        _runId.Should().NotBeNull("the run of an earlier test");
        await using var again = await StartServerAsync(cluster: null);
        using var client = new HttpClient { BaseAddress = again.Address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AccessToken);

        using var runs = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/runs", UriKind.Relative)));
        var report = await client.GetAsync(new Uri($"/runs/{_runId}/report.html", UriKind.Relative));

        runs.RootElement.GetProperty("finished").EnumerateArray().Select(r => r.GetProperty("id").GetString()).Should().Equal(_runId);
        report.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Test]
    [Order(7)]
    public async Task Page_PlanBuiltInTheEditorThenStartedOnTwoWorkers_TargetGetsEveryIterationAndChartsEndOnTheResult()
    {
        await LogInAsync();

        // The plan, built in the Plans tab by clicks and typing: one request, 20 arrivals a second for 3 s (60 in all).
        await _page.ClickAsync("#tab-plans");
        await _page.ClickAsync("#plans [data-action=new]");
        await _page.FillAsync("#plans [data-role=plan-name]", "edited.yaml");
        await _page.FillAsync("#plans [data-path='http.baseAddress'] input", _targetAddress);
        await _page.ClickAsync("#plans [data-path='scenarios[0].steps'] [data-add=request]");
        await _page.FillAsync("#plans [data-path='scenarios[0].steps[0].request.url'] input", "/editor");
        await _page.FillAsync("#plans [data-path='scenarios[0].steps[0].name'] input", "edited");
        await _page.SelectOptionAsync("#plans [data-path='scenarios[0].load'] [data-role=phase-kind]", "arrivalRate");
        const string rate = "scenarios[0].load[0].arrivalRate";
        await _page.FillAsync($"#plans [data-path='{rate}.rate'] input", "20");
        await _page.FillAsync($"#plans [data-path='{rate}.during'] input", "3s");
        await _page.FillAsync($"#plans [data-path='{rate}.preAllocatedUsers'] input", "2");
        await _page.FillAsync($"#plans [data-path='{rate}.maxUsers'] input", "40"); // room for a stalled second on a busy machine: none is dropped
        await Assertions.Expect(_page.Locator("#plans [data-role=problems]")).ToBeHiddenAsync();
        await _page.ClickAsync("#plans [data-action=save]");
        await Assertions.Expect(_page.Locator("#plans [data-role=status]")).ToHaveTextAsync("Saved edited.yaml.");

        // The Runs tab lists it without a reload (the page's feed tells of the save); started on both workers.
        await _page.ClickAsync("#tab-runs");
        await Assertions.Expect(_page.Locator("#start-plan option[value='edited.yaml']")).ToHaveCountAsync(1);
        await _page.SelectOptionAsync("#start-plan", "edited.yaml");
        await _page.FillAsync("#start-workers", "2");
        await _page.ClickAsync("#start");
        await Assertions.Expect(_page.Locator("#live-title")).ToContainTextAsync("edited.yaml in 2 workers");
        await Assertions.Expect(_page.Locator("#live-state")).ToHaveTextAsync("finished", new() { Timeout = 45_000 });

        var runId = await _page.Locator("#runs-table tbody tr").First.GetAttributeAsync("data-run");
        runId.Should().NotBe(_runId).And.EndWith("-edited");
        var result = LoadResult.ReadFile(Path.Combine(_folder, "runs", runId!, "result.json"));
        var step = result.GetStep("edited");
        step.Ok.Should().Be(60, "20 arrivals a second for 3 s, split over the workers so that the shares add up");
        (step.Failed + step.TimedOut).Should().Be(0);
        Interlocked.Read(ref _editorHits).Should().Be(60, "the target got each request once");
        result.Workers.Should().HaveCount(2);
        var charts = JsonDocument.Parse(await _page.EvaluateAsync<string>("() => JSON.stringify(window.loadkitCharts)")).RootElement;
        var seconds = charts.GetProperty("seconds").EnumerateArray().Select(s => s.GetInt32()).ToArray();
        var requests = charts.GetProperty("requests").EnumerateArray().Select(s => s.GetInt64()).ToArray();
        var p95 = charts.GetProperty("latency").GetProperty("edited").GetProperty("p95").EnumerateArray().Select(s => s.GetDouble()).ToArray();
        seconds.Should().Equal(step.Timeline.Select(p => p.Second));
        requests.Should().Equal(step.Timeline.Select(p => p.Ok + p.Failed + p.TimedOut));
        requests.Sum().Should().Be(60);
        p95[^1].Should().BeApproximately(step.Timeline[^1].Latency.P95.TotalMilliseconds, 0.001);
        (await _page.Locator($"#runs-table tr[data-run='{runId}']").InnerTextAsync()).Should().Contain("edited.yaml").And.Contain("2 workers");

        // Both workers are released for the next run.
        await _page.ClickAsync("#tab-workers");
        await Assertions.Expect(_page.Locator("#workers-table .worker-state", new() { HasTextString = "idle" })).ToHaveCountAsync(2);
    }

    [Test]
    [Order(8)]
    public async Task Page_TestAssemblyUploadedThenItsFactoryStartedOnTwoWorkers_TargetGetsEveryIterationAndTheRunIsListed_ThenDeleted()
    {
        var zip = AssemblyUploadTests.ZipScenarioFactoryTests(Directory.CreateTempSubdirectory("loadkit-zip-").FullName);
        await LogInAsync();
        await _page.ClickAsync("#tab-runs");
        await _page.SelectOptionAsync("#start-kind", "assembly");

        // A file that is not a zip is refused, the reason shown under the input.
        await _page.SetInputFilesAsync("#upload-assembly", new FilePayload { Name = "notes.zip", MimeType = "application/zip", Buffer = Encoding.UTF8.GetBytes("not a zip") });
        await Assertions.Expect(_page.Locator("#upload-problem")).ToContainTextAsync("upload 'notes': not a readable zip archive");

        // Uploaded by the page's file input; its two factories are listed, and Browse (20 shared iterations) started on both workers.
        await _page.SetInputFilesAsync("#upload-assembly", zip);
        await Assertions.Expect(_page.Locator("#upload-problem")).ToBeEmptyAsync();
        await Assertions.Expect(_page.Locator("#upload-status")).ToHaveTextAsync("Uploaded Shop.LoadTests: ScenarioFactoryTests.dll, 2 scenario factories.");
        (await _page.Locator("#start-scenario option").AllInnerTextsAsync()).Should().Equal("Browse", "Checkout", "(every factory)");
        await _page.SelectOptionAsync("#start-scenario", "Shop.LoadTests.ShopLoad.Browse");
        await _page.FillAsync("#start-workers", "2");
        await _page.ClickAsync("#start");
        await Assertions.Expect(_page.Locator("#live-title")).ToContainTextAsync("Shop.LoadTests: Browse in 2 workers");
        await Assertions.Expect(_page.Locator("#live-state")).ToHaveTextAsync("finished", new() { Timeout = 45_000 });

        var runId = await _page.Locator("#runs-table tbody tr").First.GetAttributeAsync("data-run");
        runId.Should().EndWith("-Shop.LoadTests-Browse");
        var result = LoadResult.ReadFile(Path.Combine(_folder, "runs", runId!, "result.json"));
        result.GetStep("use").Ok.Should().Be(20, "Browse's 20 shared iterations, split over the workers");
        result.Workers.Select(w => w.Result.Scenarios.Single().Steps.Single().Ok).Should().Equal(10L, 10L);
        Interlocked.Read(ref _factoryHits).Should().Be(20, "the target got each request once");
        Interlocked.Read(ref _checkoutHits).Should().Be(0, "the factory not chosen did not run");
        (await _page.Locator($"#runs-table tr[data-run='{runId}']").InnerTextAsync()).Should().Contain("Shop.LoadTests: Browse").And.Contain("2 workers").And.Contain("passed: 1 thresholds");
        await Assertions.Expect(_page.Locator($"#runs-table tr[data-run='{runId}'] a.report-report")).ToHaveCountAsync(1);
        Directory.EnumerateDirectories(Path.Combine(_folder, "assemblies", "Shop.LoadTests")).Should().ContainSingle("one folder per upload");

        // Deleted from the page: no longer offered, nothing of it left on disk.
        await _page.ClickAsync("#delete-assembly");
        await Assertions.Expect(_page.Locator("#upload-status")).ToHaveTextAsync("Deleted Shop.LoadTests.");
        await Assertions.Expect(_page.Locator("#start-assembly option")).ToHaveCountAsync(0);
        Directory.Exists(Path.Combine(_folder, "assemblies", "Shop.LoadTests")).Should().BeFalse();
        Directory.Delete(Path.GetDirectoryName(zip)!, recursive: true);
    }

    [Test]
    [Order(9)]
    public async Task Page_RunStoppedByClick_EndsWithinSecondsWithWhatRanReportedAsStopped()
    {
        var target = await File.ReadAllTextAsync(Path.Combine(_folder, "plans", "shop.yaml"));
        await File.WriteAllTextAsync(Path.Combine(_folder, "plans", "stoppable.yaml"), target.Replace("during: 4s", "during: 60s", StringComparison.Ordinal));
        await LogInAsync();
        await _page.ClickAsync("#tab-runs");
        await _page.SelectOptionAsync("#start-plan", "stoppable.yaml");
        await _page.FillAsync("#start-workers", "2");
        await _page.ClickAsync("#start");
        await _page.WaitForFunctionAsync("() => window.loadkitCharts.seconds.length >= 2 && window.loadkitLive.live.state === 'running'");

        var clicked = DateTimeOffset.UtcNow;
        await _page.ClickAsync("#stop");
        await Assertions.Expect(_page.Locator("#live-state")).ToHaveTextAsync("finished", new() { Timeout = 30_000 });
        var ended = DateTimeOffset.UtcNow;

        var row = _page.Locator("#runs-table tbody tr").First;
        await Assertions.Expect(row).ToContainTextAsync("stopped");
        var result = LoadResult.ReadFile(Path.Combine(_folder, "runs", (await row.GetAttributeAsync("data-run"))!, "result.json"));
        var home = result.GetStep("home");
        home.Ok.Should().BeGreaterThan(0, "what ran before the stop is kept")
            .And.BeLessThan(40 * 60 / 2, "a 60 s plan at 40/s stopped after a few seconds");
        result.Notes.Should().Contain(n => n == "The run was stopped from the control page.", "the result says why it ended early");
        (ended - clicked).Should().BeLessThan(TimeSpan.FromSeconds(20), "the load ends at the stop, not at the plan's end");
        (await _page.Locator("#log").InnerTextAsync()).Should().Contain("stopped from the control page");
        await _page.ClickAsync("#tab-workers");
        await Assertions.Expect(_page.Locator("#workers-table .worker-state", new() { HasTextString = "idle" })).ToHaveCountAsync(2, new() { Timeout = 15_000 });
    }

    [Test]
    [Order(10)]
    public async Task Page_WorkerKilledMidRun_MarksItLostWithTheTakeOverInTheLog()
    {
        var target = await File.ReadAllTextAsync(Path.Combine(_folder, "plans", "shop.yaml"));
        await File.WriteAllTextAsync(Path.Combine(_folder, "plans", "long.yaml"), target.Replace("during: 4s", "during: 10s", StringComparison.Ordinal));
        await LogInAsync();
        await _page.ClickAsync("#tab-runs");
        await _page.SelectOptionAsync("#start-plan", "long.yaml");
        await _page.FillAsync("#start-workers", "2");
        await _page.ClickAsync("#start");
        await _page.WaitForFunctionAsync("() => window.loadkitCharts.seconds.length >= 2 && window.loadkitLive.live.state === 'running'");

        using (var kill = System.Diagnostics.Process.Start("kill", ["-KILL", _workers.ProcessIds[0].ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await Assertions.Expect(_page.Locator("#processes .process-state", new() { HasTextString = "lost: " })).ToHaveCountAsync(1);
        await Assertions.Expect(_page.Locator("#live-state")).ToHaveTextAsync("finished", new() { Timeout = 45_000 });
        var lost = await _page.Locator("#processes tr:has(.process-state.failed)").GetAttributeAsync("data-process");
        var log = await _page.Locator("#log").InnerTextAsync();
        TestContext.Out.WriteLine(log);
        lost.Should().NotBeNull();
        log.Should().Contain($"[{lost}] Lost: ", "the loss, told by the controller under the lost worker's name");
        log.Should().MatchRegex($@"\] TakeOver: Takes over .+ of {System.Text.RegularExpressions.Regex.Escape(lost!)}'s ", "the survivor's take-over of its share");
        (await _page.Locator($"#processes tr[data-process='{lost}'] .process-state").InnerTextAsync()).Should().StartWith("lost: ", "still marked once the run ended");
    }

    private async Task LogInAsync()
    {
        await _page.GotoAsync(_server.Address.ToString());
        if (new Uri(_page.Url).AbsolutePath == "/login")
        {
            await _page.FillAsync("#token", AccessToken);
            var posted = await _page.RunAndWaitForResponseAsync(
                () => _page.ClickAsync("#login"), r => r.Request.Method == "POST" && new Uri(r.Url).AbsolutePath == "/login", new() { Timeout = 60_000 });
            posted.Status.Should().Be(303, "the form's token is the page's own");

            // Committed is enough: the live connection below is what the page is waited for by. Two CI runs timed out
            // after 30 s here, one waiting for the load event, one for the commit, on the first test of the fixture
            // (a fresh browser) while other test assemblies loaded both cores; what the page then shows is printed.
            try
            {
                // The page may have added its tab to the URL (#workers) by the time the wait looks: the path is what counts.
                await _page.WaitForURLAsync(
                    url => new Uri(url).GetLeftPart(UriPartial.Path) == _server.Address.GetLeftPart(UriPartial.Path),
                    new() { WaitUntil = WaitUntilState.Commit, Timeout = 60_000 });
            }
            catch (TimeoutException)
            {
                Assert.Fail($"60 s after the login's 303 the page is at {_page.Url}: {await _page.ContentAsync()}");
            }
        }

        var cookie = (await _page.Context.CookiesAsync()).Single(c => c.Name == "loadkit_page");
        cookie.HttpOnly.Should().BeTrue();
        cookie.SameSite.Should().Be(SameSiteAttribute.Strict);
        await _page.WaitForFunctionAsync("() => document.getElementById('connection').textContent === 'live'");
    }
}
