using System.Net;
using System.Text;
using LoadKit.Display;

namespace LoadKit.Reporting;

/// <summary>
/// A result as one self-contained HTML page: verdict, thresholds, per scenario the step table, charts over time
/// (throughput and failures, p50/p95/p99, active VUs) and errors; for a distributed run the workers, their clock
/// offsets and the start skew. Charts are drawn by uPlot, inlined with the data as JSON: the page loads nothing from
/// elsewhere, so it works offline. Each chart shows values on hover, zooms to a dragged time range and resets on a
/// double click.
/// </summary>
internal static class HtmlReport
{
    private const string Style = """
        body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1100px; color: #1d232a; padding: 0 16px; }
        h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #d8dee4; }
        .muted { color: #57606a; } .verdict { display: inline-block; padding: 2px 10px; border-radius: 10px; font-weight: 600; }
        .pass { background: #dafbe1; color: #116329; } .fail { background: #ffebe9; color: #a40e26; } .none { background: #eaeef2; }
        table { border-collapse: collapse; margin: 8px 0 16px; font-variant-numeric: tabular-nums; }
        th, td { padding: 3px 9px; border-bottom: 1px solid #eaeef2; text-align: right; } th { background: #f6f8fa; }
        th.text, td.text { text-align: left; } tr.total td { font-weight: 600; }
        .chart { width: 100%; max-width: 1060px; margin: 12px 0 20px; } .chart .u-title { font-size: 13px; text-align: left; }
        .chart .u-legend { font-size: 12px; text-align: left; }
        .warning { background: #fff8c5; border-left: 4px solid #bf8700; padding: 6px 10px; }
        """;

    /// <summary>
    /// Draws every chart of the JSON in <c>#loadkit-charts</c> into its element; the uPlot objects stay in
    /// <c>window.loadkitCharts</c>. uPlot's own cursor does the rest: the legend shows the values under the pointer
    /// (the same second in every chart), a drag zooms to a time range, a double click resets.
    /// </summary>
    private const string Script = """
        (() => {
          const charts = JSON.parse(document.getElementById("loadkit-charts").textContent);
          const number = v => v == null ? "-" : v.toLocaleString("en", { maximumFractionDigits: 2 });
          const width = el => Math.max(320, el.clientWidth);
          window.loadkitCharts = charts.map(c => {
            const el = document.getElementById(c.id);
            return new uPlot({
              title: c.title + " (" + c.unit + ")", width: width(el), height: 240,
              scales: { x: { time: false } },
              cursor: { sync: { key: "loadkit" }, drag: { x: true, y: false } },
              axes: [{ values: (u, ticks) => ticks.map(t => t + " s") }, { size: 64 }],
              series: [{ label: "second", value: (u, v) => v == null ? "-" : v + " s" },
                ...c.lines.map(l => ({ label: l.name, stroke: l.color, width: 1.8, value: (u, v) => number(v) }))],
            }, [c.seconds, ...c.lines.map(l => l.values)], el);
          });
          addEventListener("resize", () => window.loadkitCharts.forEach(u => u.setSize({ width: width(u.root.parentElement), height: 240 })));
        })();
        """;

    private static readonly Lazy<(string Script, string Style, string License)> Library = new(() =>
        (Asset("uPlot.iife.min.js"), Asset("uPlot.min.css"), Asset("uPlot.LICENSE")));

    private static readonly string[] Palette = ["#0969da", "#1a7f37", "#bf8700", "#8250df", "#cf222e", "#1b7c83", "#953800", "#57606a"];

    public static string Render(LoadResult result)
    {
        var html = new StringBuilder();
        var charts = new Charts(html);
        var names = string.Join(", ", result.Scenarios.Select(s => s.Name));
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">")
            .Append("<title>LoadKit report: ").Append(Encode(names)).Append("</title><style>").Append(Library.Value.Style).Append('\n').Append(Style).Append("</style></head><body>\n");
        html.Append("<h1>LoadKit report: ").Append(Encode(names)).Append("</h1>\n<p>").Append(Verdict(result)).Append(" <span class=\"muted\">")
            .Append(Encode($"{result.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC, {Format.Duration(result.Duration)}"))
            .Append(result.Workers.Count > 0 ? Encode($", {result.Workers.Count} workers") : "")
            .Append(result.Cancelled ? ", cancelled: the statistics cover what ran until then" : "")
            .Append("</span></p>\n");
        AppendThresholds(html, result);
        foreach (var scenario in result.Scenarios)
        {
            AppendScenario(html, charts, scenario);
        }

        AppendWorkers(html, charts, result);
        AppendGenerators(html, charts, result);
        if (result.Notes.Count > 0)
        {
            html.Append("<h2>Notes</h2>\n<ul>");
            foreach (var note in result.Notes)
            {
                html.Append("<li>").Append(Encode(note)).Append("</li>");
            }

            html.Append("</ul>\n");
        }

        html.Append("<p class=\"muted\">Latencies are of successful calls, in ms; rps counts ok + failed + timeout. Charts: hover for values, ")
            .Append("drag to zoom to a time range, double-click to reset.</p>\n");
        charts.AppendScripts();
        return html.Append("</body></html>\n").ToString();
    }

    private static string Verdict(LoadResult result)
    {
        var crossed = result.Thresholds.Count(t => !t.Passed);
        return result.Thresholds.Count == 0 ? "<span class=\"verdict none\">no thresholds</span>"
            : crossed == 0 ? $"<span class=\"verdict pass\">all {result.Thresholds.Count} thresholds passed</span>"
            : $"<span class=\"verdict fail\">{crossed} of {result.Thresholds.Count} thresholds crossed</span>";
    }

    private static void AppendThresholds(StringBuilder html, LoadResult result)
    {
        if (result.Thresholds.Count == 0)
        {
            return;
        }

        html.Append("<h2>Thresholds</h2>\n");
        AppendTable(html, [
            ["", "threshold", "scenario", "observed", "first crossed", "stopped the run"],
            .. result.Thresholds.Select(t => new[]
            {
                t.Passed ? "✓" : "✗",
                t.Threshold,
                t.Scenario ?? "(run)",
                t.Observed,
                t.CrossedAt is { } crossed ? Format.Duration(crossed) : "-",
                t.StoppedRunAt is { } stopped ? "at " + Format.Duration(stopped) : "-",
            }),
        ], textColumns: 3);
    }

    private static void AppendScenario(StringBuilder html, Charts charts, ScenarioResult scenario)
    {
        html.Append("<h2>Scenario ").Append(Encode(scenario.Name)).Append("</h2>\n<p>").Append(Encode(SummaryTable.Headline(scenario)));
        if (scenario.Dropped > 0 || scenario.Late > 0)
        {
            html.Append(Encode($"; {Format.Count(scenario.Dropped)} dropped, {Format.Count(scenario.Late)} late iterations"));
        }

        if (scenario.WarmUp is { } warmUp)
        {
            html.Append(Encode($"; warm-up of {Format.Count(warmUp.AllSteps.Completed)} calls kept out of the figures"));
        }

        html.Append("</p>\n");
        var rows = SummaryTable.StepRows(scenario);
        AppendTable(html, rows, textColumns: 1, totalRow: scenario.Steps.Count > 1);
        if (scenario.Measurements.Count > 0)
        {
            AppendTable(html, SummaryTable.MeasurementRows(scenario), textColumns: 1);
        }

        if (StatusCodeReport.Rows(scenario) is { } statusCodes)
        {
            html.Append("<h3>Status codes</h3>\n");
            AppendTable(html, statusCodes, textColumns: 3);
        }

        var all = scenario.AllSteps.Timeline;
        charts.Add("Throughput", "calls/s", [
            new("ok", "#1a7f37", all.Select(p => (p.Second, (double)p.Ok))),
            new("failed or timed out", "#cf222e", all.Select(p => (p.Second, (double)(p.Failed + p.TimedOut)))),
        ]);
        charts.Add("Latency of successful calls", "ms", [
            new("p50", "#0969da", Percentile(all, 50)),
            new("p95", "#bf8700", Percentile(all, 95)),
            new("p99", "#8250df", Percentile(all, 99)),
        ]);
        charts.Add("Virtual users", "VUs", [
            new("active", "#0969da", scenario.Timeline.Select(p => (p.Second, (double)p.ActiveUsers))),
            new("dropped iterations", "#cf222e", scenario.Timeline.Select(p => (p.Second, (double)p.Dropped))),
        ]);

        var errors = scenario.Steps.Concat(new[] { scenario.Init, scenario.Cleanup }.OfType<StepStats>())
            .SelectMany(s => s.Errors.Select(e => new[] { s.Name, e.Message, Format.Count(e.Count) }))
            .ToList();
        if (errors.Count > 0)
        {
            html.Append("<h3>Errors</h3>\n");
            AppendTable(html, [["step", "message", "count"], .. errors], textColumns: 2);
        }
    }

    private static IEnumerable<(int Second, double Value)> Percentile(IReadOnlyList<TimelinePoint> timeline, double percentile) =>
        timeline.Select(p => (p.Second, p.Latency.Count == 0 ? double.NaN : p.Latency.Percentile(percentile).TotalMilliseconds));

    private static void AppendWorkers(StringBuilder html, Charts charts, LoadResult result)
    {
        if (result.Workers.Count == 0)
        {
            return;
        }

        html.Append("<h2>Workers</h2>\n<p>Start skew: ").Append(Encode(SummaryTable.StartSkew(result))).Append("</p>\n");
        AppendTable(html, SummaryTable.WorkerRows(result), textColumns: 2);
        charts.Add("Throughput per worker", "calls/s", [.. result.Workers.Select((w, i) => new ReportChart.Series(
            w.Id,
            Palette[i % Palette.Length],
            StepStats.Merge("all", [.. w.Result.Scenarios.SelectMany(s => s.Steps)], TimeSpan.Zero).Timeline.Select(p => (p.Second, (double)(p.Ok + p.Failed + p.TimedOut)))))]);
    }

    private static void AppendGenerators(StringBuilder html, Charts charts, LoadResult result)
    {
        if (result.Generators.Count == 0)
        {
            return;
        }

        html.Append("<h2>Load generators</h2>\n");
        foreach (var warning in SummaryTable.GeneratorWarnings(result))
        {
            html.Append("<p class=\"warning\"><strong>Warning:</strong> ").Append(Encode(warning)).Append("</p>\n");
        }

        AppendTable(html, SummaryTable.GeneratorRows(result), textColumns: 1);
        charts.Add("Generator CPU", "% of all cores", [.. result.Generators.Select((g, i) => new ReportChart.Series(
            g.Process,
            Palette[i % Palette.Length],
            g.Samples.Select(s => (s.Second, s.CpuPercent))))]);
    }

    /// <summary>A table whose first <paramref name="textColumns"/> columns are text (left-aligned), the rest figures.</summary>
    private static void AppendTable(StringBuilder html, List<string[]> rows, int textColumns, bool totalRow = false)
    {
        html.Append("<table><thead><tr>");
        for (var c = 0; c < rows[0].Length; c++)
        {
            html.Append(c < textColumns ? "<th class=\"text\">" : "<th>").Append(Encode(rows[0][c])).Append("</th>");
        }

        html.Append("</tr></thead><tbody>");
        for (var r = 1; r < rows.Count; r++)
        {
            html.Append(totalRow && r == rows.Count - 1 ? "<tr class=\"total\">" : "<tr>");
            for (var c = 0; c < rows[r].Length; c++)
            {
                html.Append(c < textColumns ? "<td class=\"text\">" : "<td>").Append(Encode(rows[r][c])).Append("</td>");
            }

            html.Append("</tr>");
        }

        html.Append("</tbody></table>\n");
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string Asset(string name)
    {
        using var stream = typeof(HtmlReport).Assembly.GetManifestResourceStream("LoadKit.Reporting.Assets." + name)
            ?? throw new InvalidOperationException($"LoadKit.dll lacks its embedded resource LoadKit.Reporting.Assets.{name}; the build that made it is broken.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The charts of one page: each gets an element where it stands, and all are drawn by one script at the end.</summary>
    private sealed class Charts(StringBuilder html)
    {
        private readonly List<(string Id, ReportChart Chart)> _charts = [];

        public void Add(string title, string unit, IReadOnlyList<ReportChart.Series> series)
        {
            var chart = ReportChart.Of(title, unit, series);
            if (chart.Seconds.Count == 0)
            {
                html.Append("<p class=\"muted\">").Append(Encode($"{title}: no data.")).Append("</p>\n");
                return;
            }

            var id = $"chart-{_charts.Count + 1}";
            _charts.Add((id, chart));
            html.Append("<div class=\"chart\" id=\"").Append(id).Append("\" data-title=\"").Append(Encode(title)).Append("\"></div>\n");
        }

        public void AppendScripts()
        {
            if (_charts.Count == 0)
            {
                return;
            }

            html.Append("<script type=\"application/json\" id=\"loadkit-charts\">").Append(ReportChart.ToJson(_charts)).Append("</script>\n")
                .Append("<!-- uPlot, inlined so that the report works offline.\n").Append(Library.Value.License.Replace("--", "- -", StringComparison.Ordinal)).Append("-->\n")
                .Append("<script>").Append(Library.Value.Script).Append("</script>\n<script>").Append(Script).Append("</script>\n");
        }
    }
}
