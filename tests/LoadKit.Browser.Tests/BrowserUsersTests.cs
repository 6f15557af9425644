using System.Diagnostics;
using FluentAssertions;
using LoadKit.TestTargets;

namespace LoadKit.Browser.Tests;

/// <summary>Chromium pages as VUs against a live page on 127.0.0.1 that updates itself from WebSocket messages.</summary>
[NonParallelizable]
public class BrowserUsersTests
{
    /// <summary>
    /// A VU's iteration: open the page (once: the page and its WebSocket stay across iterations), click "ping", wait for
    /// the page to show the matching "pong". The click count is the VU's iteration + 1.
    /// </summary>
    internal static ScenarioBuilder ClickThrough(string name, Uri page) => Scenario.Create(name)
        .UsesBrowser()
        .Step("open", async ctx =>
        {
            var current = await ctx.PageAsync();
            if (current.Url != page.ToString())
            {
                await BrowserSteps.Navigate(page.ToString())(ctx);
                await BrowserSteps.WaitFor("#status", "hello")(ctx);
            }
        })
        .Step("ping", async ctx =>
        {
            ctx.Session.Set("n", ctx.Iteration + 1);
            await BrowserSteps.Click("#ping")(ctx);
        })
        .Step("pong", BrowserSteps.WaitFor("#status", "pong {{n}}"));

    [Test]
    public async Task RunAsync_FiveBrowserUsersFor20Seconds_ServerSeesFiveSocketsAndResultHasPageMetrics()
    {
        await using var server = await LivePageServer.StartAsync();
        var scenario = ClickThrough("live page", server.PageUrl)
            .WithLoad(Load.ConstantUsers(5, TimeSpan.FromSeconds(20)))
            .WithThresholds(Threshold.Measurement("open", "lcp").Percentile(75).Below(TimeSpan.FromSeconds(10)))
            .Build();

        var result = await LoadRunner.RunAsync(scenario);

        var s = result.Scenarios[0];
        TestContext.Out.WriteLine(SummaryTable.Render(result));
        s.Iterations.Failed.Should().Be(0, SummaryTable.Render(result));
        s.GetStep("open").Ok.Should().BeGreaterThan(0);
        var pings = s.GetStep("ping").Ok;
        pings.Should().BeGreaterThanOrEqualTo(5, "each VU clicks at least once");
        s.GetStep("pong").Ok.Should().Be(pings, "every ping's pong reached the page");
        server.Connections.Should().Be(5, "each VU keeps one page, hence one WebSocket, across its iterations");
        server.Pings.Should().Be(pings);
        s.GetStep("pong").Latency.P50.Should().BePositive();

        // Page metrics: one sample per VU (each navigated once), as statistics of their own.
        foreach (var metric in new[] { "ttfb", "dom-content-loaded", "load", "fcp", "lcp", "cls" })
        {
            s.GetMeasurement("open", metric).Ok.Should().Be(5, metric);
        }

        var lcp = s.GetMeasurement("open", "lcp").Latency;
        var fcp = s.GetMeasurement("open", "fcp").Latency;
        lcp.P50.Should().BePositive();
        lcp.P50.Should().BeGreaterThanOrEqualTo(fcp.Min, "the largest paint comes no earlier than the first");
        result.Thresholds.Should().ContainSingle().Which.Passed.Should().BeTrue();
        TestContext.Out.WriteLine($"pings {pings}, pong p50 {s.GetStep("pong").Latency.P50.TotalMilliseconds:0.0} ms, fcp p50 {fcp.P50.TotalMilliseconds:0.0} ms, lcp p75 {lcp.Percentile(75).TotalMilliseconds:0.0} ms");

        // Contexts are closed at the end of each VU's life: the browser's sockets close.
        await Eventually.UntilAsync(() => server.OpenConnections == 0, TimeSpan.FromSeconds(10), () => $"{server.OpenConnections} WebSockets still open");
        BrowserPool.Shared.Users.Should().Be(0);
    }

    [Test]
    public async Task RunAsync_ThreeBrowserUsersBesideFiftyHttpUsers_EachScenarioRunsItsOwnLoad()
    {
        await using var server = await LivePageServer.StartAsync();
        var browser = ClickThrough("browser", server.PageUrl)
            .WithLoad(Load.ConstantUsers(3, TimeSpan.FromSeconds(4)))
            .Build();
        var http = Scenario.Create("http")
            .WithHttp(new HttpSettings { BaseAddress = server.Address })
            .Step("api", Http.Get("/api"))
            .ThinkTime(TimeSpan.FromMilliseconds(50))
            .WithLoad(Load.ConstantUsers(50, TimeSpan.FromSeconds(4)))
            .Build();

        var result = await LoadRunner.RunAsync([browser, http]);

        TestContext.Out.WriteLine(SummaryTable.Render(result));
        var browsers = result.Scenarios.Single(s => s.Name == "browser");
        var calls = result.Scenarios.Single(s => s.Name == "http");
        browsers.Users.Should().Be(3);
        calls.Users.Should().Be(50);
        browsers.Iterations.Failed.Should().Be(0, SummaryTable.Render(result));
        browsers.GetStep("pong").Ok.Should().BePositive();
        browsers.GetMeasurement("open", "lcp").Ok.Should().Be(3);
        calls.GetStep("api").Failed.Should().Be(0);
        calls.GetStep("api").Ok.Should().Be(server.ApiCalls, "every HTTP call reached the server");
        calls.GetStep("api").Ok.Should().BeGreaterThan(50 * 4, "50 HTTP VUs run beside the browsers, each many times");
        server.Connections.Should().Be(3);
        calls.Measurements.Select(m => m.Name).Should().OnlyContain(name => name == "api › connect", "HTTP steps record no page metrics (LoadKit's HTTP engine times its connects)");
    }

    [Test]
    public async Task RunAsync_BrowserPerUser_EachVuHasItsOwnBrowser()
    {
        await using var server = await LivePageServer.StartAsync();
        var browsers = new System.Collections.Concurrent.ConcurrentDictionary<Microsoft.Playwright.IBrowser, int>();
        var scenario = Scenario.Create("own browsers")
            .UsesBrowser(new BrowserSettings { BrowserPerUser = true })
            .Step("open", BrowserSteps.Navigate(server.PageUrl.ToString()))
            .Step("which", async ctx => browsers[(await ctx.PageAsync()).Context.Browser!] = ctx.UserIndex)
            .WithLoad(Load.IterationsPerUser(2, 1, TimeSpan.FromSeconds(30)))
            .Build();

        var result = await LoadRunner.RunAsync(scenario);

        result.Scenarios[0].Iterations.Ok.Should().Be(2, SummaryTable.Render(result));
        browsers.Values.Should().BeEquivalentTo([0, 1], "each VU's page is in a browser of its own");
        BrowserPool.Shared.Users.Should().Be(0);
    }

    [Test]
    public async Task RunAsync_MoreBrowserUsersThanTheCap_RefusesBeforeStartNamingTheSetting()
    {
        var scenario = Scenario.Create("too many")
            .UsesBrowser(new BrowserSettings { MaxUsersPerProcess = 2 })
            .Step("open", BrowserSteps.Navigate("http://127.0.0.1:1/"))
            .WithLoad(Load.ConstantUsers(3, TimeSpan.FromSeconds(1)))
            .Build();

        var run = () => LoadRunner.RunAsync(scenario);

        var refusal = await run.Should().ThrowAsync<ScenarioRequirementException>();
        refusal.Which.Message.Should().Contain("3 browser VUs").And.Contain("limit of 2").And.Contain("MaxUsersPerProcess = 2")
            .And.Contain(BrowserSettings.MaxUsersVariable);
        BrowserPool.Shared.Users.Should().Be(0, "nothing started");
    }

    [Test]
    public async Task RunAsync_UndeclaredScenarioOverTheCap_ExtraVuFailsItsStepsNamingTheLimit()
    {
        await using var server = await LivePageServer.StartAsync();
        BrowserPool.Shared.Settings = new BrowserSettings { MaxUsersPerProcess = 1 };
        try
        {
            // No UsesBrowser: nothing is checked before the start, so the pool refuses the second page itself.
            var scenario = Scenario.Create("undeclared")
                .Step("open", BrowserSteps.Navigate(server.PageUrl.ToString()))
                .WithLoad(Load.IterationsPerUser(2, 2, TimeSpan.FromSeconds(30)))
                .Build();

            var result = await LoadRunner.RunAsync(scenario);

            var open = result.Scenarios[0].GetStep("open");
            TestContext.Out.WriteLine(SummaryTable.Render(result));
            open.Ok.Should().Be(2, "the first VU to get a page keeps it");
            open.Failed.Should().Be(2);
            open.Errors.Should().ContainSingle().Which.Message.Should()
                .Contain("already runs 1 browser VUs").And.Contain("MaxUsersPerProcess = 1").And.Contain(BrowserSettings.MaxUsersVariable);
            server.Connections.Should().Be(2, "the one VU with a page loaded it twice (each load opens its WebSocket)");
        }
        finally
        {
            BrowserPool.Shared.Settings = BrowserSettings.FromEnvironment();
        }
    }

    [Test]
    public async Task RunAsync_NoChromiumAtTheConfiguredPath_RefusesBeforeStartSayingHowToInstall()
    {
        var scenario = Scenario.Create("no chromium")
            .UsesBrowser(new BrowserSettings { ChromiumPath = "/nonexistent/chromium" })
            .Step("open", BrowserSteps.Navigate("http://127.0.0.1:1/"))
            .WithLoad(Load.ConstantUsers(1, TimeSpan.FromSeconds(1)))
            .Build();

        var run = () => LoadRunner.RunAsync(scenario);

        (await run.Should().ThrowAsync<ScenarioRequirementException>()).Which.Message.Should()
            .Contain("no chromium at /nonexistent/chromium").And.Contain("apt-get install chromium").And.Contain(BrowserSettings.ChromiumPathVariable);
    }

    [Test]
    public async Task RunAsync_PageCrashes_StepFailsAsCrashAndNextIterationGetsANewPage()
    {
        await using var server = await LivePageServer.StartAsync();
        var crashes = BrowserPool.Shared.Crashes;
        var scenario = Scenario.Create("crash")
            .UsesBrowser()
            .Step("open", BrowserSteps.Navigate(server.PageUrl.ToString()))
            .Step("crash", BrowserSteps.Run(async (page, ctx) =>
            {
                if (ctx.Iteration == 0)
                {
                    // The renderer dies, as an out-of-memory tab's would.
                    // The crash answers no command: wait for the page's crash event, then use the page.
                    var crashed = new TaskCompletionSource();
                    page.Crash += (_, _) => crashed.TrySetResult();
                    var devTools = await page.Context.NewCDPSessionAsync(page);
                    _ = devTools.SendAsync("Page.crash");
                    await crashed.Task.WaitAsync(TimeSpan.FromSeconds(5));
                    await page.EvaluateAsync("1");
                }
            }))
            .WithLoad(Load.IterationsPerUser(1, 3, TimeSpan.FromSeconds(40)))
            .Build();

        var result = await LoadRunner.RunAsync(scenario);

        var s = result.Scenarios[0];
        TestContext.Out.WriteLine(SummaryTable.Render(result));
        s.GetStep("crash").Failed.Should().Be(1);
        s.GetStep("crash").Errors.Should().ContainSingle().Which.Message.Should().StartWith(nameof(BrowserCrashedException));
        s.GetStep("open").Ok.Should().Be(3, "the iterations after the crash got a new page");
        s.GetStep("crash").Ok.Should().Be(2);
        BrowserPool.Shared.Crashes.Should().Be(crashes + 1);
        result.Notes.Should().ContainSingle(n => n.StartsWith("browser: 1 page or browser crashed", StringComparison.Ordinal));
    }
}

/// <summary>docs/configuration.md names every setting LoadKit.Browser reads.</summary>
public class BrowserConfigurationDocsTests
{
    [Test]
    public void ConfigurationReference_ListsEveryBrowserVariable()
    {
        var reference = File.ReadAllText(Path.Combine(Repository.Root, "docs", "configuration.md"));
        var variables = typeof(BrowserSettings).GetFields()
            .Where(f => f.IsLiteral && f.Name.EndsWith("Variable", StringComparison.Ordinal))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToArray();

        variables.Should().HaveCount(3);
        foreach (var variable in variables)
        {
            reference.Should().Contain($"`{variable}`");
        }
    }
}
