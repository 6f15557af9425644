using FluentAssertions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using LoadKit.TestTargets;

namespace LoadKit.ControlPage.Tests.Plans;

/// <summary>The editor in the system's Chromium, driven by clicks and typing as a user would.</summary>
public class PlanEditorPageTests
{
    private PlanEditorServer _server = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = await PlanEditorServer.StartAsync();
        // The system's chromium: Playwright must never try to download a browser of its own.
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync();
        _browser = await HeadlessChromium.LaunchAsync(_playwright);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _server.DisposeAsync();
    }

    [Test]
    public async Task Editor_PlanBuiltByClicksAndTyping_SavesAPlanThatCompilesToThatScenarioAndRuns()
    {
        var page = await _browser.NewPageAsync();
        page.SetDefaultTimeout(10_000);
        await page.GotoAsync(_server.Address.ToString());
        await page.ClickAsync("[data-action=new]");
        await page.FillAsync("[data-role=plan-name]", "shop.yaml");
        await page.FillAsync("[data-path='http.baseAddress'] input", _server.Address.ToString().TrimEnd('/'));

        // A GET with a header and a JSON-path extraction; a bad URL first, which shows its error on the URL field.
        await page.ClickAsync("[data-path='scenarios[0].steps'] [data-add=request]");
        const string get = "scenarios[0].steps[0]";
        await page.Locator($"[data-path='{get}.request.url'] input").FillAsync("");
        await page.Locator($"[data-path='{get}.request.url'] input").PressSequentiallyAsync("ftp://127.0.0.1/items/1");
        await Expect(page.Locator($"[data-path='{get}.request.url'] > .lk-error")).ToContainTextAsync("ftp");
        await page.Locator($"[data-path='{get}.request.url'] input").FillAsync("/items/1");
        await Expect(page.Locator($"[data-path='{get}.request.url'] > .lk-error")).ToBeEmptyAsync();
        await page.FillAsync($"[data-path='{get}.name'] input", "get item");
        await page.ClickAsync($"[data-section='{get}.headers'] > summary");
        await page.ClickAsync($"[data-path='{get}.request.headers'] [data-add=header]");
        await page.FillAsync($"[data-path='{get}.request.headers'] [data-role=kv-name]", "X-Client");
        await page.FillAsync($"[data-path='{get}.request.headers'] [data-role=kv-value]", "editor");
        await page.ClickAsync($"[data-section='{get}.extract'] > summary");
        await page.ClickAsync($"[data-path='{get}.extract'] [data-add=extraction]");
        await page.FillAsync($"[data-path='{get}.extract'] [data-role=extract-name]", "itemId");
        await page.SelectOptionAsync($"[data-path='{get}.extract'] [data-role=extract-kind]", "jsonPath");
        await page.FillAsync($"[data-path='{get}.extract'] input[aria-label=expression]", "$.item.id");

        // A POST that sends the extracted value.
        await page.ClickAsync("[data-path='scenarios[0].steps'] > .lk-row [data-add=request]");
        const string post = "scenarios[0].steps[1]";
        await page.SelectOptionAsync($"[data-path='{post}.request.method'] select", "POST");
        await page.FillAsync($"[data-path='{post}.request.url'] input", "/orders");
        await page.FillAsync($"[data-path='{post}.name'] input", "post order");
        await page.ClickAsync($"[data-section='{post}.body'] > summary");
        await page.SelectOptionAsync($"[data-path='{post}.request'] [data-role=body-kind]", "json");
        await page.FillAsync($"[data-path='{post}.request.json'] textarea", """{"item": "{{itemId}}"}""");

        // A constant arrival rate and a p95 threshold on the GET.
        await page.SelectOptionAsync("[data-path='scenarios[0].load'] [data-role=phase-kind]", "arrivalRate");
        const string rate = "scenarios[0].load[0].arrivalRate";
        await page.FillAsync($"[data-path='{rate}.rate'] input", "4");
        await page.FillAsync($"[data-path='{rate}.during'] input", "1s");
        await page.FillAsync($"[data-path='{rate}.preAllocatedUsers'] input", "2");
        await page.FillAsync($"[data-path='{rate}.maxUsers'] input", "4");
        await page.ClickAsync("[data-path='scenarios[0].thresholds'] [data-add=threshold]");
        await page.SelectOptionAsync("[data-path='scenarios[0].thresholds[0]'] [data-role=threshold-subject]", "step");
        await page.FillAsync("[data-path='scenarios[0].thresholds[0].step'] input", "get item");
        await page.FillAsync("[data-path='scenarios[0].thresholds[0].metric'] input", "p95");
        await page.FillAsync("[data-path='scenarios[0].thresholds[0].below'] input", "800ms");

        await Expect(page.Locator("[data-role=compiled]")).ToContainTextAsync("get item → post order");
        await Expect(page.Locator("[data-role=problems]")).ToBeHiddenAsync();
        await page.ClickAsync("[data-action=save]");
        await Expect(page.Locator("[data-role=status]")).ToHaveTextAsync("Saved shop.yaml.");
        await Expect(page.Locator("[data-plan='shop.yaml']")).ToBeVisibleAsync();

        var plan = PlanFile.Load(Path.Combine(_server.Folder, "shop.yaml"));
        var scenario = plan.Scenarios.Should().ContainSingle().Subject;
        scenario.StepNames.Should().Equal("get item", "post order");
        scenario.Load.Single().ToString().Should().Be(Load.ArrivalRate(4, TimeSpan.FromSeconds(1), 2, 4).ToString());
        scenario.Thresholds.Single().ToString().Should().Be(Threshold.Step("get item").Percentile(95).Below(TimeSpan.FromMilliseconds(800)).ToString());

        // What the form showed is what runs: the header gets the item, the POST sends the id extracted from it.
        var result = await LoadRunner.RunAsync(plan.Scenarios);
        result.Scenarios.Single().Steps.Sum(s => s.Failed).Should().Be(0);
        result.Scenarios.Single().Steps.Should().OnlyContain(s => s.Ok > 0);
        _server.Orders.Should().NotBeEmpty().And.OnlyContain(body => body == """{"item":"item-1"}""");

        // A picture of the form for the test's attachments (CI keeps them).
        var picture = Path.Combine(TestContext.CurrentContext.WorkDirectory, "plan-editor.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = picture, FullPage = true });
        TestContext.AddTestAttachment(picture, "the plan editor's form with the plan built by the test");

        // The raw view shows the saved YAML; back in the form, the same requests are there.
        await page.ClickAsync("[data-action=raw-view]");
        await Expect(page.Locator("[data-role=raw]")).ToHaveValueAsync(File.ReadAllText(Path.Combine(_server.Folder, "shop.yaml")));
        await page.ClickAsync("[data-action=form-view]");
        await Expect(page.Locator($"[data-path='{post}.request.url'] input")).ToHaveValueAsync("/orders");
    }

    [Test]
    public async Task Editor_HandWrittenPlanTheFormCannotShow_OpensAsTextWithANoteAndKeepsThatPartWhenTheFormSaves()
    {
        const string handWritten = """
            http:
              baseAddress: http://127.0.0.1:5000
            scenarios:
              - name: hand
                steps:
                  - name: item
                    request: { url: /items/1 }
                  - think: { exponential: { mean: 1s, max: 5s } }
                load:
                  - constantUsers: { users: 1, during: 5s }
            """;
        var file = Path.Combine(_server.Folder, "handmade.yaml");
        File.WriteAllText(file, handWritten);
        var page = await _browser.NewPageAsync();
        page.SetDefaultTimeout(10_000);
        await page.GotoAsync(_server.Address.ToString());

        await page.ClickAsync("[data-plan='handmade.yaml'] [data-action=open]");

        await Expect(page.Locator("[data-role=raw]")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-role=raw]")).ToHaveValueAsync(handWritten);
        await Expect(page.Locator("[data-role=notes]")).ToContainTextAsync("scenarios[0].steps[1].think");
        await page.ClickAsync("[data-action=form-view]");
        await Expect(page.Locator("[data-path='scenarios[0].steps[1]'].lk-asis")).ToContainTextAsync("exponential");
        await page.FillAsync("[data-path='scenarios[0].steps[0].request.url'] input", "/items/2");
        await page.ClickAsync("[data-action=save]");
        await Expect(page.Locator("[data-role=status]")).ToHaveTextAsync("Saved handmade.yaml.");

        var saved = File.ReadAllText(file);
        saved.Should().Contain("/items/2").And.Contain("exponential").And.Contain("mean: 1s");
        PlanFile.Load(file).GetScenario("hand").StepNames.Should().Equal("item");
    }

    [Test]
    public async Task Editor_HarFileImported_ShowsItsRequestsAndWhatWasLeftOutUnsaved()
    {
        const string har = """
            { "log": { "version": "1.2", "creator": { "name": "test", "version": "1" }, "entries": [
              { "request": { "method": "GET", "url": "http://shop.example/items/7", "headers": [], "queryString": [] },
                "response": { "status": 200, "headers": [], "content": { "mimeType": "application/json", "text": "{}" } } },
              { "request": { "method": "GET", "url": "http://cdn.example/app.js", "headers": [], "queryString": [] },
                "response": { "status": 200, "headers": [], "content": { "mimeType": "application/javascript", "text": "" } } } ] } }
            """;
        var page = await _browser.NewPageAsync();
        page.SetDefaultTimeout(10_000);
        await page.GotoAsync(_server.Address.ToString());

        await page.SetInputFilesAsync("[data-role=import-file]", new FilePayload { Name = "recorded.har", MimeType = "application/json", Buffer = System.Text.Encoding.UTF8.GetBytes(har) });

        await Expect(page.Locator("[data-role=notes]")).ToContainTextAsync("Imported 1 request(s) from recorded.har (HAR 1.2)");
        await Expect(page.Locator("[data-role=notes]")).ToContainTextAsync("cdn.example");
        await Expect(page.Locator("[data-path='scenarios[0].steps[0].request.url'] input")).ToHaveValueAsync("/items/7");
        await Expect(page.Locator("[data-role=plan-name]")).ToHaveValueAsync("recorded.yaml");
        File.Exists(Path.Combine(_server.Folder, "recorded.yaml")).Should().BeFalse("an import is saved only when the user saves it");
    }
}
