using System.Text.Json;
using Microsoft.Playwright;
using LoadKit.TestTargets;

namespace LoadKit.Tests.Reporting;

/// <summary>
/// A report opened in the system's Chromium through Playwright (no browser download), with every console error,
/// uncaught exception and request the page made recorded.
/// </summary>
internal sealed class ReportPage : IAsyncDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private ReportPage(IPlaywright playwright, IBrowser browser, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                Errors.Add($"console: {message.Text}");
            }
        };
        page.PageError += (_, error) => Errors.Add($"uncaught: {error}");
        page.Request += (_, request) => Requests.Add(request.Url);
    }

    public IPage Page { get; }

    public List<string> Errors { get; } = [];

    public List<string> Requests { get; } = [];

    /// <summary>One chart as uPlot holds it: its element's title, canvases, series labels and data (x first).</summary>
    public sealed record Chart(string Title, int Canvases, string[] Series, double?[][] Data)
    {
        /// <summary>Line <paramref name="line"/>'s points: (second, value) where it has a value.</summary>
        public (int Second, double Value)[] Points(int line) =>
            [.. Data[0].Zip(Data[line + 1]).Where(p => p.Second is not null).Select(p => ((int)p.First!.Value, p.Second!.Value))];
    }

    public static async Task<ReportPage> OpenAsync(string htmlFile)
    {
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        var playwright = await Playwright.CreateAsync();
        var browser = await HeadlessChromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 1000 } });
        var report = new ReportPage(playwright, browser, page);
        await page.GotoAsync(new Uri(htmlFile).AbsoluteUri, new PageGotoOptions { Timeout = (float)Bound.TotalMilliseconds });
        await page.WaitForFunctionAsync("() => document.readyState === 'complete'", null, new PageWaitForFunctionOptions { Timeout = (float)Bound.TotalMilliseconds });
        return report;
    }

    /// <summary>Every chart uPlot drew (<c>window.loadkitCharts</c>), in page order.</summary>
    public async Task<IReadOnlyList<Chart>> ChartsAsync()
    {
        var charts = await Page.EvaluateAsync<JsonElement>("""
            () => (window.loadkitCharts ?? []).map(u => ({
              title: u.root.parentElement.dataset.title,
              canvases: u.root.parentElement.querySelectorAll("canvas").length,
              series: u.series.slice(1).map(s => s.label),
              data: u.data.map(d => Array.from(d)),
            }))
            """);
        return [.. charts.EnumerateArray().Select(c => new Chart(
            c.GetProperty("title").GetString()!,
            c.GetProperty("canvases").GetInt32(),
            [.. c.GetProperty("series").EnumerateArray().Select(s => s.GetString()!)],
            [.. c.GetProperty("data").EnumerateArray().Select(d => d.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? (double?)null : v.GetDouble()).ToArray())]))];
    }

    /// <summary>The x range (seconds) chart <paramref name="index"/> shows now.</summary>
    public async Task<(double Min, double Max)> XRangeAsync(int index)
    {
        var range = await Page.EvaluateAsync<double[]>($"() => [loadkitCharts[{index}].scales.x.min, loadkitCharts[{index}].scales.x.max]");
        return (range[0], range[1]);
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
