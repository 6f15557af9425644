using System.Collections.Concurrent;
using LoadKit.TestTargets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;
using HttpResults = Microsoft.AspNetCore.Http.Results;

namespace LoadKit.Cli.Tests.Import;

/// <summary>
/// <c>loadkit import</c> of a HAR that Chromium recorded through Playwright (<c>RecordHarPath</c>) on a real Kestrel
/// site on 127.0.0.1, whose page loads a stylesheet, a script, an image, a pixel from another host, and calls three
/// APIs; then the imported plan run against the site with <c>loadkit run</c>, counted by the site.
/// </summary>
[NonParallelizable]
public class ImportCommandTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private const string Page = """
        <!doctype html>
        <html><head><title>shop</title><link rel="stylesheet" href="/site.css"></head>
        <body><img src="/logo.png"><img src="PIXEL"><script src="/app.js"></script></body></html>
        """;

    private const string Script = """
        (async () => {
          await fetch('/api/items?page=1', { headers: { 'Accept': 'application/json' } });
          await fetch('/api/cart', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ sku: 'A-1', qty: 2 }) });
          await fetch('/api/login', { method: 'POST', body: new URLSearchParams({ user: 'anna', password: 's3cret&more' }) });
          document.title = 'done';
        })();
        """;

    private readonly ConcurrentDictionary<string, int> _site = new();
    private readonly ConcurrentDictionary<string, int> _thirdParty = new();
    private WebApplication _siteApp = null!;
    private WebApplication _pixelApp = null!;
    private Uri _siteAddress = null!;
    private Uri _pixelAddress = null!;
    private string _folder = "";

    [SetUp]
    public async Task StartSites()
    {
        _folder = Directory.CreateTempSubdirectory("loadkit-import-").FullName;
        _pixelApp = LoopbackApp.Create();
        _pixelApp.MapGet("/pixel.gif", () => Count(_thirdParty, "pixel", HttpResults.Bytes([0x47, 0x49, 0x46], "image/gif")));
        _pixelAddress = (await LoopbackApp.StartAsync(_pixelApp))[0];

        _siteApp = LoopbackApp.Create();
        _siteApp.MapGet("/", () => Count(_site, "page", HttpResults.Content(Page.Replace("PIXEL", new Uri(_pixelAddress, "/pixel.gif").ToString(), StringComparison.Ordinal), "text/html")));
        _siteApp.MapGet("/site.css", () => Count(_site, "css", HttpResults.Text("body { color: #333; }", "text/css")));
        _siteApp.MapGet("/app.js", () => Count(_site, "js", HttpResults.Text(Script, "text/javascript")));
        _siteApp.MapGet("/logo.png", () => Count(_site, "png", HttpResults.Bytes([0x89, 0x50, 0x4E, 0x47], "image/png")));
        _siteApp.MapGet("/api/items", (HttpRequest request) =>
            Count(_site, request.Query["page"] == "1" ? "items" : "items wrong", HttpResults.Json(new[] { new { id = 1 } })));
        _siteApp.MapPost("/api/cart", async (HttpRequest request) =>
        {
            var line = await request.ReadFromJsonAsync<CartLine>();
            return Count(_site, line is { Sku: "A-1", Qty: 2 } ? "cart" : "cart wrong", HttpResults.Json(new { lines = 1 }, statusCode: 201));
        });
        _siteApp.MapPost("/api/login", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            return Count(_site, form["user"] == "anna" && form["password"] == "s3cret&more" ? "login" : "login wrong", HttpResults.Text("welcome"));
        });
        _siteAddress = (await LoopbackApp.StartAsync(_siteApp))[0];
    }

    [TearDown]
    public async Task StopSites()
    {
        await _siteApp.DisposeAsync();
        await _pixelApp.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private static IResult Count(ConcurrentDictionary<string, int> counts, string what, IResult result)
    {
        counts.AddOrUpdate(what, 1, (_, n) => n + 1);
        return result;
    }

    /// <summary>Opens the site's page in Chromium with Playwright recording a HAR, waits for its script to finish, and returns the HAR's path.</summary>
    private async Task<string> RecordAsync()
    {
        var har = Path.Combine(_folder, "shop.har");
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"); // the system's chromium, never a download
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await HeadlessChromium.LaunchAsync(playwright);
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { RecordHarPath = har });
        var page = await context.NewPageAsync();
        await page.GotoAsync(_siteAddress.ToString(), new PageGotoOptions { Timeout = (float)Bound.TotalMilliseconds });
        await page.WaitForFunctionAsync("document.title === 'done'", null, new PageWaitForFunctionOptions { Timeout = (float)Bound.TotalMilliseconds });
        await context.CloseAsync(); // writes the HAR
        return har;
    }

    [Test]
    public async Task Import_HarRecordedByChromium_PlanReplaysTheSitesApiCallsWithExactCountsAndKeepsWhatIsAskedFor()
    {
        var har = await RecordAsync();
        // What the browser asked for (Chromium may ask for an image twice).
        Assert.That(new[] { "page", "css", "js", "png", "items", "cart", "login" }.Select(what => _site.GetValueOrDefault(what)), Has.All.Positive, "the recording");
        Assert.That(_thirdParty.GetValueOrDefault("pixel"), Is.Positive, "the recording");
        _site.Clear();
        _thirdParty.Clear();

        var import = await LoadkitProcess.RunAsync(_folder, "import", har, "-o", "shop.yaml");
        var run = await LoadkitProcess.RunAsync(_folder, "run", "shop.yaml", "--scale", "3", "--out", "reports", "--progress", "off");

        Assert.That(import.ExitCode, Is.Zero, import.ToString());
        Assert.That(import.Output, Does.StartWith("Imported 4 requests from shop.har (HAR 1.2) into shop.yaml"));
        Assert.That(import.Error, Does.Contain("3 static resources (stylesheets, scripts, images, fonts, media; --include-static keeps them): /site.css, /logo.png, /app.js")
            .And.Contain($"1 request to {_pixelAddress.Authority}: another host (--host {_pixelAddress.Authority} keeps it)"));
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        // One user of one iteration, scaled by 3 (users and iterations): 9 of each call the page made, and nothing else.
        Assert.That(_site, Is.EquivalentTo(new Dictionary<string, int> { ["page"] = 9, ["items"] = 9, ["cart"] = 9, ["login"] = 9 }));
        Assert.That(_thirdParty, Is.Empty);
        var result = LoadResult.ReadFile(Path.Combine(_folder, "reports", "result.json"));
        Assert.That(result.Scenarios.Single().Steps.Select(s => s.Name), Is.EqualTo(new[] { "GET /", "GET /api/items", "POST /api/cart", "POST /api/login" }));
        Assert.That(result.Scenarios.Single().Steps.Select(s => s.Ok), Has.All.EqualTo(9));

        // The same recording (one Chromium start is the costly part), every host and the static files kept, as JSON.
        var all = await LoadkitProcess.RunAsync(_folder, "import", har, "-o", "all.json", "--host", _siteAddress.Authority, "--host", _pixelAddress.Authority, "--include-static");
        Assert.That(all.ExitCode, Is.Zero, all.ToString());
        Assert.That(PlanFile.Load(Path.Combine(_folder, "all.json")).Scenarios.Single().StepNames, Is.EquivalentTo(new[]
        {
            "GET /", "GET /site.css", "GET /logo.png", "GET /pixel.gif", "GET /app.js", "GET /api/items", "POST /api/cart", "POST /api/login",
        }));
        var text = await File.ReadAllTextAsync(Path.Combine(_folder, "all.json"));
        Assert.That(text, Does.Contain($"\"url\": \"{new Uri(_pixelAddress, "/pixel.gif")}\"").And.Contain("\"url\": \"/site.css\""), "another host keeps its absolute address");
    }

    [Test]
    public async Task Import_Problems_ExitTwoNamingTheFileSettingAndValue()
    {
        var notJson = Path.Combine(_folder, "notes.har");
        await File.WriteAllTextAsync(notJson, "recorded by hand");
        await File.WriteAllTextAsync(Path.Combine(_folder, "taken.yaml"), "# a plan someone edited");
        var har = Path.Combine(_folder, "empty.har");
        await File.WriteAllTextAsync(har, """{ "log": { "version": "1.2", "entries": [ { "request": { "method": "GET", "url": "data:image/png;base64,AAAA" }, "response": { "status": 200 } } ] } }""");

        var missing = await LoadkitProcess.RunAsync(_folder, "import", "nothing.har");
        var unreadable = await LoadkitProcess.RunAsync(_folder, "import", "notes.har");
        var exists = await LoadkitProcess.RunAsync(_folder, "import", har, "-o", "taken.yaml");
        var nothing = await LoadkitProcess.RunAsync(_folder, "import", har, "-o", "empty.yaml");
        var options = await LoadkitProcess.RunAsync(_folder, "import", har, "-o", "plan.txt", "--host", "http://shop.example/", "--hosts", "x");
        var operand = await LoadkitProcess.RunAsync(_folder, "import");

        Assert.That(new[] { missing, unreadable, exists, nothing, options, operand }.Select(r => r.ExitCode), Has.All.EqualTo(2));
        Assert.That(missing.Error, Does.Contain($"loadkit import: FILE = 'nothing.har': no such file (looked for {Path.Combine(_folder, "nothing.har")})"));
        Assert.That(unreadable.Error, Does.Contain("loadkit import: FILE = 'notes.har': notes.har: not JSON (line 1"));
        Assert.That(exists.Error, Does.Contain("-o = 'taken.yaml': the file exists (it may be a plan you edited); give another name, or --force to replace it."));
        Assert.That(await File.ReadAllTextAsync(Path.Combine(_folder, "taken.yaml")), Is.EqualTo("# a plan someone edited"));
        Assert.That(nothing.Error, Does.Contain("empty.har: no request to import (HAR 1.2): entry 0: data:image/png;base64,AAAA: not an http(s) address."));
        Assert.That(File.Exists(Path.Combine(_folder, "empty.yaml")), Is.False);
        Assert.That(options.Error, Does.Contain("--hosts: not an option of 'loadkit import'; allowed: -o, --output, --force, --scenario, --host, --include-static")
            .And.Contain("-o = 'plan.txt': a plan file ends in .yaml, .yml or .json")
            .And.Contain("--host = 'http://shop.example/': a host name or host:port, without scheme or path"));
        Assert.That(operand.Error, Does.Contain("FILE: missing; give a HAR file or a Postman collection"));
    }

    private sealed record CartLine(string Sku, int Qty);
}
