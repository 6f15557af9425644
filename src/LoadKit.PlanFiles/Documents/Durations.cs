using System.Globalization;
using System.Text.RegularExpressions;

namespace LoadKit.PlanFiles.Documents;

/// <summary>Durations as plans write them: a number and a unit, or several (<c>500ms</c>, <c>1.5s</c>, <c>2m</c>, <c>1h30m</c>).</summary>
internal static partial class Durations
{
    public const string Allowed = "a duration: a number and a unit (ms, s, m, h), e.g. 500ms, 30s, 1.5m, 1h30m";

    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var match = Pattern().Match(text.Trim());
        if (!match.Success)
        {
            return false;
        }

        double milliseconds = 0;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unit = part.Value.TrimStart("0123456789.".ToCharArray());
            var number = double.Parse(part.Value[..^unit.Length], NumberStyles.Float, CultureInfo.InvariantCulture);
            milliseconds += number * unit switch
            {
                "ms" => 1,
                "s" => 1_000,
                "m" => 60_000,
                _ => 3_600_000,
            };
        }

        if (milliseconds > TimeSpan.MaxValue.TotalMilliseconds)
        {
            return false;
        }

        duration = TimeSpan.FromMilliseconds(milliseconds);
        return true;
    }

    [GeneratedRegex(@"^(?<part>[0-9]+(\.[0-9]+)?(ms|s|m|h))+$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
