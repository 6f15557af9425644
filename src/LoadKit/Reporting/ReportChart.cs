using System.Text.Json;

namespace LoadKit.Reporting;

/// <summary>
/// A line chart over the seconds of a run, as the HTML report embeds it for uPlot: one x array of seconds and, per
/// line, a value for each of them (null: no value that second, drawn as a gap).
/// </summary>
internal sealed record ReportChart(string Title, string Unit, IReadOnlyList<int> Seconds, IReadOnlyList<ReportChart.Line> Lines)
{
    /// <summary>One line: its name in the legend, its colour and a value per second of <see cref="Seconds"/>.</summary>
    public sealed record Line(string Name, string Color, IReadOnlyList<double?> Values);

    /// <summary>One line as its points, before the lines of a chart are aligned on the seconds any of them has.</summary>
    public sealed record Series(string Name, string Color, IEnumerable<(int Second, double Value)> Points);

    /// <summary>A chart of <paramref name="series"/> aligned on the union of their seconds; a NaN value is a gap.</summary>
    public static ReportChart Of(string title, string unit, IReadOnlyList<Series> series)
    {
        var byLine = series.Select(s => s.Points.GroupBy(p => p.Second).ToDictionary(g => g.Key, g => g.Last().Value)).ToArray();
        int[] seconds = [.. byLine.SelectMany(points => points.Keys).Distinct().Order()];
        return new ReportChart(title, unit, seconds, [.. series.Select((s, i) => new Line(s.Name, s.Color,
            [.. seconds.Select(second => byLine[i].TryGetValue(second, out var value) && double.IsFinite(value) ? value : (double?)null)]))]);
    }

    /// <summary>The charts as a JSON array. The writer escapes <c>&lt;</c>, <c>&gt;</c> and <c>&amp;</c>, so the text can sit in a script element.</summary>
    public static string ToJson(IReadOnlyList<(string Id, ReportChart Chart)> charts)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var (id, chart) in charts)
            {
                json.WriteStartObject();
                json.WriteString("id", id);
                json.WriteString("title", chart.Title);
                json.WriteString("unit", chart.Unit);
                json.WriteStartArray("seconds");
                foreach (var second in chart.Seconds)
                {
                    json.WriteNumberValue(second);
                }

                json.WriteEndArray();
                json.WriteStartArray("lines");
                foreach (var line in chart.Lines)
                {
                    json.WriteStartObject();
                    json.WriteString("name", line.Name);
                    json.WriteString("color", line.Color);
                    json.WriteStartArray("values");
                    foreach (var value in line.Values)
                    {
                        if (value is { } number)
                        {
                            json.WriteNumberValue(number);
                        }
                        else
                        {
                            json.WriteNullValue();
                        }
                    }

                    json.WriteEndArray();
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
