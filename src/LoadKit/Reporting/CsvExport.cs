using System.Globalization;
using System.Text;

namespace LoadKit.Reporting;

/// <summary>A result as CSV for spreadsheets: a row per step, and a row per step and second. Latencies in ms.</summary>
internal static class CsvExport
{
    public static string Steps(LoadResult result)
    {
        // A column per status code any step saw (http_200, grpc_UNAVAILABLE), so a spreadsheet can sum them.
        var codes = StatusCodeReport.Columns(result.Scenarios.SelectMany(s => s.Steps));
        var csv = new StringBuilder("scenario,step,ok,failed,timed_out,cancelled,rps,min_ms,mean_ms,p50_ms,p90_ms,p95_ms,p99_ms,p99_9_ms,max_ms");
        csv.AppendJoin("", codes.Select(c => "," + Quote(c.Column))).Append('\n');
        foreach (var scenario in result.Scenarios)
        {
            foreach (var step in scenario.Steps.Concat(scenario.Measurements))
            {
                var l = step.Latency;
                Row(csv, [scenario.Name, step.Name, step.Ok, step.Failed, step.TimedOut, step.Cancelled, step.RequestsPerSecond,
                    Ms(l, l.Min), Ms(l, l.Mean), Ms(l, l.P50), Ms(l, l.P90), Ms(l, l.P95), Ms(l, l.P99), Ms(l, l.P999), Ms(l, l.Max),
                    .. codes.Select(c => StatusCodeReport.Cell(step, c.Protocol, c.Code))]);
            }
        }

        return csv.ToString();
    }

    public static string Timeline(LoadResult result)
    {
        var csv = new StringBuilder("scenario,step,second,ok,failed,timed_out,p50_ms,p95_ms,p99_ms\n");
        foreach (var scenario in result.Scenarios)
        {
            foreach (var step in scenario.Steps)
            {
                foreach (var point in step.Timeline)
                {
                    var l = point.Latency;
                    Row(csv, scenario.Name, step.Name, point.Second, point.Ok, point.Failed, point.TimedOut, Ms(l, l.P50), Ms(l, l.P95), Ms(l, l.P99));
                }
            }
        }

        return csv.ToString();
    }

    /// <summary>Empty for a distribution without samples, so a spreadsheet sees a missing value, not 0.</summary>
    private static string Ms(LatencyDistribution latency, TimeSpan value) =>
        latency.Count == 0 ? "" : value.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture);

    private static void Row(StringBuilder csv, params object[] cells)
    {
        csv.AppendJoin(',', cells.Select(c => c switch
        {
            string text => Quote(text),
            double number => number.ToString("0.###", CultureInfo.InvariantCulture),
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => c.ToString(),
        })).Append('\n');
    }

    private static string Quote(string text) =>
        text.AsSpan().IndexOfAny(",\"\n\r") < 0 ? text : "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
