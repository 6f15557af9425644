using System.Text;
using LoadKit.Display;

namespace LoadKit.Reporting;

/// <summary>
/// A result as GitHub-flavoured Markdown, fit for a GitHub Actions job summary (<c>$GITHUB_STEP_SUMMARY</c>):
/// the verdict, the thresholds, a step table per scenario, the most frequent errors, the workers and the notes.
/// </summary>
internal static class MarkdownSummary
{
    public static string Render(LoadResult result)
    {
        var text = new StringBuilder();
        var crossed = result.Thresholds.Count(t => !t.Passed);
        text.Append("## LoadKit: ").Append(string.Join(", ", result.Scenarios.Select(s => s.Name)))
            .Append(result.Thresholds.Count == 0 ? "" : crossed == 0 ? " ✅" : " ❌").Append("\n\n");
        text.Append(result.StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)).Append(" UTC, ")
            .Append(Format.Duration(result.Duration))
            .Append(result.Workers.Count > 0 ? $", {result.Workers.Count} workers, start skew {SummaryTable.StartSkew(result)}" : "")
            .Append(result.Cancelled ? ", **cancelled**: the statistics cover what ran until then" : "")
            .Append("\n\n");
        if (result.Thresholds.Count > 0)
        {
            text.Append("### Thresholds: ").Append(crossed == 0 ? "all passed" : $"{crossed} of {result.Thresholds.Count} crossed").Append("\n\n");
            AppendTable(text, [
                ["", "threshold", "scenario", "observed", "first crossed"],
                .. result.Thresholds.Select(t => new[]
                {
                    t.Passed ? "✅" : "❌",
                    t.Threshold,
                    t.Scenario ?? "(run)",
                    t.Observed,
                    (t.CrossedAt is { } at ? Format.Duration(at) : "-") + (t.StoppedRunAt is { } stopped ? $", stopped the run at {Format.Duration(stopped)}" : ""),
                }),
            ], alignRight: false);
        }

        foreach (var scenario in result.Scenarios)
        {
            text.Append("### Scenario ").Append(Escape(scenario.Name)).Append("\n\n").Append(Escape(SummaryTable.Headline(scenario))).Append("\n\n");
            AppendTable(text, SummaryTable.StepRows(scenario), alignRight: true);
            if (scenario.Measurements.Count > 0)
            {
                AppendTable(text, SummaryTable.MeasurementRows(scenario), alignRight: true);
            }

            if (StatusCodeReport.Rows(scenario) is { } statusCodes)
            {
                AppendTable(text, statusCodes, alignRight: false);
            }

            var errors = scenario.Steps.SelectMany(s => s.Errors.Select(e => (Step: s.Name, e.Count, e.Message)))
                .OrderByDescending(e => e.Count)
                .Take(SummaryTable.ErrorsPerStep)
                .ToArray();
            if (errors.Length > 0)
            {
                text.Append("Most frequent errors:\n\n");
                foreach (var (step, count, message) in errors)
                {
                    text.Append("- ").Append(Escape(step)).Append(": ").Append(Format.Count(count)).Append(" × `").Append(message.Replace("`", "'", StringComparison.Ordinal)).Append("`\n");
                }

                text.Append('\n');
            }
        }

        if (result.Workers.Count > 0)
        {
            text.Append("### Workers\n\n");
            AppendTable(text, SummaryTable.WorkerRows(result), alignRight: true);
        }

        if (result.Generators.Count > 0)
        {
            text.Append("### Load generators\n\n");
            AppendTable(text, SummaryTable.GeneratorRows(result), alignRight: true);
            foreach (var warning in SummaryTable.GeneratorWarnings(result))
            {
                text.Append("> ⚠️ **Warning:** ").Append(Escape(warning)).Append("\n\n");
            }
        }

        foreach (var note in result.Notes)
        {
            text.Append("> ").Append(Escape(note)).Append("\n\n");
        }

        return text.Append("Latencies in ms, of successful calls; rps counts ok + failed + timeout.\n").ToString();
    }

    private static void AppendTable(StringBuilder text, List<string[]> rows, bool alignRight)
    {
        text.Append("| ").Append(string.Join(" | ", rows[0].Select(Escape))).Append(" |\n|");
        for (var c = 0; c < rows[0].Length; c++)
        {
            text.Append(c > 0 && alignRight ? " ---: |" : " --- |");
        }

        text.Append('\n');
        foreach (var row in rows.Skip(1))
        {
            text.Append("| ").Append(string.Join(" | ", row.Select(Escape))).Append(" |\n");
        }

        text.Append('\n');
    }

    /// <summary>Keeps a name or message from breaking a table or turning into markup.</summary>
    private static string Escape(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal)
            .Replace("*", "\\*", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal)
            .Replace("<", "&lt;", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
