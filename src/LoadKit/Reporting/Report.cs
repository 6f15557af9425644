using LoadKit.Reporting;

namespace LoadKit;

/// <summary>
/// Turns a <see cref="LoadResult"/> into files to keep or look at: a self-contained HTML report with charts, a
/// Markdown summary (for a CI job page), the JSON result and CSV exports. Local and distributed results alike.
/// </summary>
public static class Report
{
    /// <summary>A self-contained HTML page: thresholds, step tables, charts over time, errors, workers. It loads nothing and runs no script.</summary>
    public static string Html(LoadResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return HtmlReport.Render(result);
    }

    /// <summary>A GitHub-flavoured Markdown summary, e.g. for <c>$GITHUB_STEP_SUMMARY</c>.</summary>
    public static string Markdown(LoadResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return MarkdownSummary.Render(result);
    }

    /// <summary>Writes <c>report.html</c>, <c>summary.md</c>, <c>result.json</c>, <c>steps.csv</c> and <c>timeline.csv</c> into <paramref name="folder"/> (created when missing).</summary>
    /// <returns>The files written.</returns>
    public static async Task<ReportFiles> WriteAsync(LoadResult result, string folder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        Directory.CreateDirectory(folder);
        var files = new ReportFiles(
            Path.GetFullPath(Path.Combine(folder, "report.html")),
            Path.GetFullPath(Path.Combine(folder, "summary.md")),
            Path.GetFullPath(Path.Combine(folder, "result.json")),
            Path.GetFullPath(Path.Combine(folder, "steps.csv")),
            Path.GetFullPath(Path.Combine(folder, "timeline.csv")));
        await File.WriteAllTextAsync(files.Html, HtmlReport.Render(result), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(files.Markdown, MarkdownSummary.Render(result), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(files.Json, result.ToJson(), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(files.StepsCsv, CsvExport.Steps(result), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(files.TimelineCsv, CsvExport.Timeline(result), cancellationToken).ConfigureAwait(false);
        return files;
    }
}

/// <summary>The files <see cref="Report.WriteAsync"/> wrote, as full paths.</summary>
/// <param name="Html">The HTML report.</param>
/// <param name="Markdown">The Markdown summary.</param>
/// <param name="Json">The result as JSON (<see cref="LoadResult.FromJson"/> reads it back).</param>
/// <param name="StepsCsv">A row per step.</param>
/// <param name="TimelineCsv">A row per step and second.</param>
public sealed record ReportFiles(string Html, string Markdown, string Json, string StepsCsv, string TimelineCsv)
{
    /// <summary>Every file, in the order above.</summary>
    public IReadOnlyList<string> All => [Html, Markdown, Json, StepsCsv, TimelineCsv];
}
