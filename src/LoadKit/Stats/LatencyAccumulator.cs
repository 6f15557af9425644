using HdrHistogram;
using LoadKit.Results;

namespace LoadKit.Stats;

/// <summary>
/// A histogram plus the exact count, sum, minimum and maximum (the histogram alone rounds them to its buckets).
/// One writer at a time: the owner serialises access.
/// </summary>
internal sealed class LatencyAccumulator
{
    private HistogramBase? _histogram;
    private long _count;
    private long _sum;
    private long _min = long.MaxValue;
    private long _max;

    private LatencyAccumulator(HistogramBase? histogram) => _histogram = histogram;

    public long Count => _count;

    /// <summary>
    /// For one half of a stripe, written on the hot path: its histogram exists from the start, so no sample ever
    /// allocates. Int counts halve its memory; one stripe cannot record 2^31 samples in one interval.
    /// </summary>
    public static LatencyAccumulator ForInterval() => new(Histograms.CreateForInterval());

    /// <summary>For the collector's sums: the histogram is created on the first sample, so what never records costs nothing.</summary>
    public static LatencyAccumulator ForTotals() => new(null);

    public void Record(long microseconds)
    {
        (_histogram ??= Histograms.Create()).RecordValue(microseconds);
        _count++;
        _sum += microseconds;
        _min = Math.Min(_min, microseconds);
        _max = Math.Max(_max, microseconds);
    }

    /// <summary>Adds everything recorded here into <paramref name="target"/>.</summary>
    public void AddTo(LatencyAccumulator target)
    {
        if (_count == 0)
        {
            return;
        }

        (target._histogram ??= Histograms.Create()).Add(_histogram!);
        target._count += _count;
        target._sum += _sum;
        target._min = Math.Min(target._min, _min);
        target._max = Math.Max(target._max, _max);
    }

    public void Reset()
    {
        if (_count == 0)
        {
            return;
        }

        _histogram!.Reset();
        _count = 0;
        _sum = 0;
        _min = long.MaxValue;
        _max = 0;
    }

    public LatencyDistribution ToDistribution() =>
        _count == 0 ? LatencyDistribution.Empty : LatencyDistribution.FromHistogram(_histogram!, _sum, _min, _max);
}
