using HdrHistogram;

namespace LoadKit.Stats;

/// <summary>
/// A histogram plus the exact count, sum, minimum and maximum (the histogram alone rounds them to its buckets).
/// Safe for concurrent writers when built over a concurrent histogram.
/// </summary>
internal sealed class LatencyAccumulator(HistogramBase histogram)
{
    private readonly HistogramBase _histogram = histogram;
    private long _sum;
    private long _min = long.MaxValue;
    private long _max;

    public long Count => _histogram.TotalCount;

    public void Record(long microseconds)
    {
        _histogram.RecordValue(microseconds);
        Interlocked.Add(ref _sum, microseconds);
        InterlockedMin(ref _min, microseconds);
        InterlockedMax(ref _max, microseconds);
    }

    /// <summary>Adds everything recorded here into <paramref name="target"/>; call only when no writer is active.</summary>
    public void AddTo(LatencyAccumulator target)
    {
        if (Count == 0)
        {
            return;
        }

        target._histogram.Add(_histogram);
        target._sum += _sum;
        target._min = Math.Min(target._min, _min);
        target._max = Math.Max(target._max, _max);
    }

    public void Reset()
    {
        _histogram.Reset();
        _sum = 0;
        _min = long.MaxValue;
        _max = 0;
    }

    public LatencyDistribution ToDistribution() =>
        Count == 0 ? LatencyDistribution.Empty : LatencyDistribution.FromHistogram(_histogram, _sum, _min, _max);

    private static void InterlockedMin(ref long location, long value)
    {
        var current = Volatile.Read(ref location);
        while (value < current)
        {
            var seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private static void InterlockedMax(ref long location, long value)
    {
        var current = Volatile.Read(ref location);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
