using System.Globalization;

namespace LoadKit.Display;

/// <summary>How LoadKit writes numbers for people: invariant culture, units always shown.</summary>
internal static class Format
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>A setting's duration, e.g. <c>30 s</c>, <c>250 ms</c>, <c>2 min</c>, <c>1.5 s</c>.</summary>
    public static string Duration(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "0 s";
        }

        var absolute = value.Duration();
        if (absolute < TimeSpan.FromSeconds(1))
        {
            return value.TotalMilliseconds.ToString("0.###", Invariant) + " ms";
        }

        if (absolute < TimeSpan.FromMinutes(2) || absolute.Ticks % TimeSpan.TicksPerMinute != 0)
        {
            return value.TotalSeconds.ToString("0.###", Invariant) + " s";
        }

        return value.TotalMinutes.ToString("0.###", Invariant) + " min";
    }

    /// <summary>A latency in milliseconds with two decimals, e.g. <c>20.13 ms</c>.</summary>
    public static string Milliseconds(TimeSpan value) => Number(value.TotalMilliseconds) + " ms";

    /// <summary>A measured number with two decimals and no unit, e.g. <c>20.13</c>.</summary>
    public static string Number(double value) => value.ToString("0.00", Invariant);

    /// <summary>A latency in milliseconds without unit: two decimals, three below 1 ms (e.g. <c>20.13</c>, <c>0.004</c>).</summary>
    public static string LatencyNumber(double milliseconds) =>
        milliseconds.ToString(milliseconds < 1 ? "0.000" : "0.00", Invariant);

    /// <summary>A count with thousands separators, e.g. <c>12,345</c>.</summary>
    public static string Count(long value) => value.ToString("N0", Invariant);

    /// <summary>A rate from 0 to 1 as a percentage, e.g. <c>1.25 %</c>.</summary>
    public static string Percent(double rate) => (rate * 100).ToString("0.##", Invariant) + " %";

    /// <summary>A percentile's label, e.g. <c>p95</c>, <c>p99.9</c>.</summary>
    public static string PercentileLabel(double percentile) => "p" + percentile.ToString("0.###", Invariant);
}
