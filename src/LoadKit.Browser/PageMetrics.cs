using Microsoft.Playwright;

namespace LoadKit;

/// <summary>
/// The metrics a browser reports for a navigation, recorded as measurements of the step that navigated: navigation
/// timing (<c>ttfb</c>, <c>dom-content-loaded</c>, <c>load</c>, each from the navigation's start), paint timing
/// (<c>fcp</c>), and through <c>PerformanceObserver</c>s installed before any page script runs, the largest contentful
/// paint (<c>lcp</c>) and the cumulative layout shift (<c>cls</c>, a score: see <see cref="StepContext.RecordScore"/>).
/// </summary>
internal static class PageMetrics
{
    /// <summary>Runs in every document before its own scripts: keeps the latest LCP and the running CLS.</summary>
    public const string ObserverScript = """
        (() => {
          const m = window.__loadkit = { lcp: -1, cls: 0 };
          try {
            new PerformanceObserver(list => { for (const e of list.getEntries()) m.lcp = e.renderTime || e.startTime; })
              .observe({ type: 'largest-contentful-paint', buffered: true });
          } catch (e) { }
          try {
            new PerformanceObserver(list => { for (const e of list.getEntries()) if (!e.hadRecentInput) m.cls += e.value; })
              .observe({ type: 'layout-shift', buffered: true });
          } catch (e) { }
        })();
        """;

    /// <summary>
    /// Waits until the loaded page's paint entries are reported (FCP and LCP come after the frame that painted, later
    /// on a busy machine): at most 1 s for a page that paints nothing, and once it painted at most 5 s for its LCP entry
    /// (on a loaded machine one page in five had none within 1 s); then reads the figures in ms (-1 where the browser has none).
    /// </summary>
    private const string ReadScript = """
        async () => {
          const started = performance.now();
          const painted = () => performance.getEntriesByName('first-contentful-paint').length > 0;
          const largest = () => window.__loadkit && window.__loadkit.lcp >= 0;
          while (!(painted() && largest())
              && performance.now() - started < (painted() ? 5000 : 1000)) {
            await new Promise(r => setTimeout(r, 20));
          }
          const n = performance.getEntriesByType('navigation')[0];
          const fcp = performance.getEntriesByName('first-contentful-paint')[0];
          const m = window.__loadkit || { lcp: -1, cls: -1 };
          return [
            n ? n.responseStart : -1,
            n && n.domContentLoadedEventEnd > 0 ? n.domContentLoadedEventEnd : -1,
            n && n.loadEventEnd > 0 ? n.loadEventEnd : (n && n.loadEventStart > 0 ? n.loadEventStart : -1),
            fcp ? fcp.startTime : -1,
            m.lcp,
            m.cls];
        }
        """;

    /// <summary>The measurement names, in the order <see cref="ReadScript"/> returns them (cls last: a score).</summary>
    private static readonly string[] Names = ["ttfb", "dom-content-loaded", "load", "fcp", "lcp"];

    /// <summary>Reads the current document's metrics and records those the browser reported.</summary>
    public static async Task RecordAsync(IPage page, StepContext context)
    {
        var values = await page.EvaluateAsync<double[]>(ReadScript).ConfigureAwait(false);
        for (var i = 0; i < Names.Length; i++)
        {
            if (values[i] >= 0)
            {
                context.Record(Names[i], TimeSpan.FromMilliseconds(values[i]));
            }
        }

        if (values[Names.Length] >= 0)
        {
            context.RecordScore("cls", values[Names.Length]);
        }
    }
}
