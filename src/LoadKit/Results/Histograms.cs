using System.Diagnostics;
using HdrHistogram;

namespace LoadKit.Results;

/// <summary>
/// The one histogram shape LoadKit uses everywhere: microseconds from 1 µs to one hour, 3 significant digits.
/// Every histogram has the same shape, so any two merge exactly.
/// </summary>
internal static class Histograms
{
    public const long LowestMicroseconds = 1;
    public const long HighestMicroseconds = 3_600_000_000;
    public const int SignificantDigits = 3;

    public static LongHistogram Create() => new(LowestMicroseconds, HighestMicroseconds, SignificantDigits);

    public static IntHistogram CreateForInterval() => new(LowestMicroseconds, HighestMicroseconds, SignificantDigits);

    /// <summary>Microseconds between two <see cref="Stopwatch"/> timestamps, clamped to the trackable range.</summary>
    public static long Microseconds(long startTimestamp, long endTimestamp) =>
        Clamp((endTimestamp - startTimestamp) * 1_000_000 / Stopwatch.Frequency);

    public static long Clamp(long microseconds) =>
        Math.Clamp(microseconds, LowestMicroseconds, HighestMicroseconds);
}
