using System.Globalization;
using System.Net;
using System.Text;

namespace LoadKit.Reporting;

/// <summary>A line chart over the seconds of a run as inline SVG: no script and no external file, so a report opens anywhere.</summary>
internal static class SvgChart
{
    private const int Width = 760;
    private const int Height = 240;
    private const int Left = 64;
    private const int Right = 16;
    private const int Top = 34;
    private const int Bottom = 30;

    /// <summary>One line: its name in the legend, its colour, and a value per second (NaN: no value that second).</summary>
    public sealed record Series(string Name, string Color, IReadOnlyList<(int Second, double Value)> Points);

    public static string Line(string title, string unit, IReadOnlyList<Series> series)
    {
        var points = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.Value)).ToArray();
        var maxX = Math.Max(1, points.Select(p => p.Second).DefaultIfEmpty().Max());
        var maxY = NiceCeiling(points.Select(p => p.Value).DefaultIfEmpty().Max());
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        double X(double second) => Left + (second / maxX * plotWidth);
        double Y(double value) => Top + plotHeight - (value / maxY * plotHeight);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{Encode(title)}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"18\" class=\"title\">{Encode(title)} ({Encode(unit)})</text>");
        for (var i = 0; i <= 4; i++)
        {
            var value = maxY * i / 4;
            var y = Y(value);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\" class=\"grid\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{y + 4:0.#}\" class=\"axis\" text-anchor=\"end\">{Label(value)}</text>");
        }

        var step = Math.Max(1, NiceCeiling(maxX / 8.0));
        for (var second = 0; second <= maxX; second += (int)step)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(second):0.#}\" y=\"{Height - 10}\" class=\"axis\" text-anchor=\"middle\">{second} s</text>");
        }

        var legendX = Width - Right;
        foreach (var line in series.Reverse())
        {
            legendX -= 12 + (7 * line.Name.Length) + 18;
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{legendX}\" y=\"10\" width=\"12\" height=\"3\" fill=\"{line.Color}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{legendX + 16}\" y=\"16\" class=\"legend\">{Encode(line.Name)}</text>");
        }

        foreach (var line in series)
        {
            // A second without a value breaks the line, so a gap is seen as a gap.
            var path = new StringBuilder();
            var pen = 'M';
            foreach (var (second, value) in line.Points.OrderBy(p => p.Second))
            {
                if (!double.IsFinite(value))
                {
                    pen = 'M';
                    continue;
                }

                path.Append(CultureInfo.InvariantCulture, $"{pen}{X(second):0.#},{Y(value):0.#} ");
                pen = 'L';
            }

            svg.Append(CultureInfo.InvariantCulture, $"<path d=\"{path.ToString().TrimEnd()}\" fill=\"none\" stroke=\"{line.Color}\" stroke-width=\"1.8\"><title>{Encode(line.Name)}</title></path>");
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>The smallest of 1, 2, 2.5, 5 times a power of ten that is at least <paramref name="value"/> (1 for 0).</summary>
    private static double NiceCeiling(double value)
    {
        if (!(value > 0))
        {
            return 1;
        }

        var power = Math.Pow(10, Math.Floor(Math.Log10(value)));
        return new[] { 1, 2, 2.5, 5, 10 }.Select(f => f * power).First(v => v >= value * 0.999999);
    }

    private static string Label(double value) => value.ToString(value >= 100 || value == Math.Floor(value) ? "N0" : "0.##", CultureInfo.InvariantCulture);

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
