using System.Text.Json.Serialization;
using HdrHistogram;
using LoadKit.Display;
using LoadKit.Results;
using LoadKit.Stats;

namespace LoadKit;

/// <summary>
/// An immutable latency distribution: the exact count, minimum, mean and maximum, and an HdrHistogram
/// (1 µs to 1 h, 3 significant digits) from which any percentile is read. Distributions merge exactly:
/// merging the distributions of several processes gives the percentiles of one process that saw every sample.
/// </summary>
[JsonConverter(typeof(LatencyDistributionJsonConverter))]
public sealed class LatencyDistribution
{
    // Sparse form of the histogram: its non-empty buckets, packed (PackedBuckets). A bucket reports its highest
    // equivalent value, so a percentile never understates.
    private readonly byte[] _buckets;
    private readonly long _count;
    private readonly long _sumMicroseconds;
    private readonly long _minMicroseconds;
    private readonly long _maxMicroseconds;

    private LatencyDistribution(byte[] buckets, long count, long sum, long min, long max)
    {
        _buckets = buckets;
        _count = count;
        _sumMicroseconds = sum;
        _minMicroseconds = min;
        _maxMicroseconds = max;
    }

    /// <summary>A distribution with no samples.</summary>
    public static LatencyDistribution Empty { get; } = new([], 0, 0, 0, 0);

    /// <summary>The number of samples.</summary>
    public long Count => _count;

    /// <summary>The smallest sample (exact), or zero when there are none.</summary>
    public TimeSpan Min => FromMicroseconds(_minMicroseconds);

    /// <summary>The largest sample (exact), or zero when there are none.</summary>
    public TimeSpan Max => FromMicroseconds(_maxMicroseconds);

    /// <summary>The mean of the samples (exact), or zero when there are none.</summary>
    public TimeSpan Mean => Count == 0 ? TimeSpan.Zero : TimeSpan.FromTicks((long)Math.Round(_sumMicroseconds * 10.0 / Count));

    /// <summary>The median.</summary>
    public TimeSpan P50 => Percentile(50);

    /// <summary>The 75th percentile.</summary>
    public TimeSpan P75 => Percentile(75);

    /// <summary>The 90th percentile.</summary>
    public TimeSpan P90 => Percentile(90);

    /// <summary>The 95th percentile.</summary>
    public TimeSpan P95 => Percentile(95);

    /// <summary>The 99th percentile.</summary>
    public TimeSpan P99 => Percentile(99);

    /// <summary>The 99.9th percentile.</summary>
    public TimeSpan P999 => Percentile(99.9);

    /// <summary>The exact sum of the samples, in microseconds.</summary>
    public long SumMicroseconds => _sumMicroseconds;

    /// <summary>The smallest sample, in microseconds (0 without samples).</summary>
    public long MinMicroseconds => _minMicroseconds;

    /// <summary>The largest sample, in microseconds (0 without samples).</summary>
    public long MaxMicroseconds => _maxMicroseconds;

    /// <summary>
    /// The value at <paramref name="percentile"/> (nearest rank: the smallest recorded value such that at least
    /// that share of samples is at or below it), to 3 significant digits, never above <see cref="Max"/>
    /// nor below <see cref="Min"/>. Zero when there are no samples.
    /// </summary>
    /// <param name="percentile">Greater than 0 and at most 100, for example 95 or 99.99.</param>
    public TimeSpan Percentile(double percentile)
    {
        if (!(percentile > 0 && percentile <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile,
                $"Percentile {percentile} is out of range; allowed: greater than 0 and at most 100 (e.g. 95 or 99.9).");
        }

        var count = Count;
        if (count == 0)
        {
            return TimeSpan.Zero;
        }

        // Nearest rank: the smallest rank covering at least that share. Stepping the percentile down by one ulp
        // first (as Java's HdrHistogram does) keeps 95 % of 100 samples at rank 95 despite floating-point error.
        var rank = Math.Max(1, (long)Math.Ceiling(Math.BitDecrement(percentile) / 100.0 * count));
        var buckets = new PackedBuckets.Reader(_buckets);
        long seen = 0;
        while (buckets.Next() && (seen += buckets.Count) < rank)
        {
        }

        var value = Math.Clamp(HistogramCodec.HighestValueAt(buckets.Index), _minMicroseconds, _maxMicroseconds);
        return FromMicroseconds(value);
    }

    /// <summary>Merges distributions exactly into one.</summary>
    public static LatencyDistribution Merge(IEnumerable<LatencyDistribution> distributions)
    {
        ArgumentNullException.ThrowIfNull(distributions);
        var parts = distributions.Where(d => d.Count > 0).ToArray();
        return parts.Length switch
        {
            0 => Empty,
            1 => parts[0], // immutable: shared as it is
            <= 32 => MergeSparse(parts),

            // In groups: a merge of merges is as exact, and allocates in proportion to the buckets in use rather than
            // a full histogram for every call (a controller merging hundreds of workers' timelines second by second).
            _ => Merge(parts.Chunk(32).Select(MergeSparse)),
        };
    }

    /// <summary>
    /// Merges the sparse forms directly: equal buckets have equal indexes (one histogram layout), so a merge of the
    /// sorted bucket lists is exact and allocates only the result, not a full histogram (~266 KB).
    /// </summary>
    private static LatencyDistribution MergeSparse(LatencyDistribution[] parts)
    {
        var readers = new PackedBuckets.Reader[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            readers[i] = new PackedBuckets.Reader(parts[i]._buckets);
            readers[i].Next();
        }

        var merged = new PackedBuckets.Writer(parts.Max(p => p._buckets.Length) * 2);
        while (true)
        {
            var next = int.MaxValue;
            foreach (var reader in readers)
            {
                if (!reader.Done)
                {
                    next = Math.Min(next, reader.Index);
                }
            }

            if (next == int.MaxValue)
            {
                break;
            }

            long count = 0;
            for (var i = 0; i < readers.Length; i++)
            {
                if (!readers[i].Done && readers[i].Index == next)
                {
                    count += readers[i].Count;
                    readers[i].Next();
                }
            }

            merged.Add(next, count);
        }

        var total = merged.Total;
        return new(merged.ToArray(), total, parts.Sum(p => p._sumMicroseconds), parts.Min(p => p._minMicroseconds), parts.Max(p => p._maxMicroseconds));
    }

    /// <inheritdoc />
    public override string ToString() =>
        Count == 0 ? "no samples" : $"n={Count} min={Format.Milliseconds(Min)} p50={Format.Milliseconds(P50)} p95={Format.Milliseconds(P95)} max={Format.Milliseconds(Max)}";

    internal static LatencyDistribution FromHistogram(HistogramBase histogram, long sum, long min, long max)
    {
        var buckets = new PackedBuckets.Writer(1024);
        foreach (var bucket in histogram.RecordedValues())
        {
            buckets.Add(HistogramCodec.IndexOf(bucket.ValueIteratedTo), bucket.CountAtValueIteratedTo);
        }

        var total = buckets.Total;
        return new LatencyDistribution(buckets.ToArray(), total, sum, min, max);
    }

    /// <summary>
    /// The histogram in HdrHistogram's compressed V2 encoding (interoperable with other HdrHistogram tools); with
    /// <see cref="SumMicroseconds"/>, <see cref="MinMicroseconds"/> and <see cref="MaxMicroseconds"/> it is the whole
    /// distribution (<see cref="Decode"/>). Costs in proportion to the buckets in use, not the histogram's range.
    /// </summary>
    public byte[] EncodeHistogram() => HistogramCodec.Encode(_buckets);

    /// <summary>A distribution from its encoded histogram (<see cref="EncodeHistogram"/>) and its exact sum, minimum and maximum.</summary>
    /// <exception cref="FormatException">The bytes are not a compressed V2 histogram of LoadKit's shape (1 µs to 1 h, 3 digits).</exception>
    public static LatencyDistribution Decode(ReadOnlySpan<byte> encodedHistogram, long sumMicroseconds, long minMicroseconds, long maxMicroseconds)
    {
        var (buckets, count) = HistogramCodec.Decode(encodedHistogram);
        return count == 0 ? Empty : new LatencyDistribution(buckets, count, sumMicroseconds, minMicroseconds, maxMicroseconds);
    }

    /// <summary>
    /// What this distribution holds beyond <paramref name="earlier"/>, a distribution it grew from (a running total read
    /// twice): bucket counts and the sum subtract; minimum and maximum stay this one's (adding the difference to
    /// <paramref name="earlier"/> with <see cref="Merge"/> gives this distribution back exactly).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="earlier"/> has a bucket with more samples than this one: it is not an earlier state of it.</exception>
    internal LatencyDistribution Since(LatencyDistribution earlier)
    {
        if (earlier.Count == 0)
        {
            return this;
        }

        if (earlier.Count == Count)
        {
            return Empty;
        }

        var difference = new PackedBuckets.Writer(_buckets.Length);
        var before = new PackedBuckets.Reader(earlier._buckets);
        before.Next();
        var now = new PackedBuckets.Reader(_buckets);
        while (now.Next())
        {
            var count = now.Count;
            if (!before.Done && before.Index == now.Index)
            {
                count -= before.Count;
                before.Next();
            }

            if (count < 0 || (!before.Done && before.Index < now.Index))
            {
                throw new ArgumentException($"latency distribution ({earlier}): not an earlier state of ({this}).", nameof(earlier));
            }

            if (count > 0)
            {
                difference.Add(now.Index, count);
            }
        }

        if (!before.Done)
        {
            throw new ArgumentException($"latency distribution ({earlier}): not an earlier state of ({this}).", nameof(earlier));
        }

        var total = difference.Total;
        var packed = difference.ToArray();
        return total == 0 ? Empty : new LatencyDistribution(packed, total, _sumMicroseconds - earlier._sumMicroseconds, _minMicroseconds, _maxMicroseconds);
    }

    private static TimeSpan FromMicroseconds(long microseconds) => TimeSpan.FromTicks(microseconds * 10);
}
