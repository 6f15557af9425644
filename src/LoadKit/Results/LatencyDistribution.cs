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
    // Sparse form of the histogram: the value reported for each non-empty bucket (its highest equivalent
    // value, so a percentile never understates) and the cumulative count up to that bucket.
    private readonly long[] _bucketValues;
    private readonly long[] _cumulativeCounts;
    private readonly long _sumMicroseconds;
    private readonly long _minMicroseconds;
    private readonly long _maxMicroseconds;

    private LatencyDistribution(long[] bucketValues, long[] cumulativeCounts, long sum, long min, long max)
    {
        _bucketValues = bucketValues;
        _cumulativeCounts = cumulativeCounts;
        _sumMicroseconds = sum;
        _minMicroseconds = min;
        _maxMicroseconds = max;
    }

    /// <summary>A distribution with no samples.</summary>
    public static LatencyDistribution Empty { get; } = new([], [], 0, 0, 0);

    /// <summary>The number of samples.</summary>
    public long Count => _cumulativeCounts.Length == 0 ? 0 : _cumulativeCounts[^1];

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
        var index = Array.BinarySearch(_cumulativeCounts, rank);
        if (index < 0)
        {
            index = ~index;
        }

        var value = Math.Clamp(_bucketValues[index], _minMicroseconds, _maxMicroseconds);
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
    /// Merges the sparse forms directly: equal buckets have equal reported values (one histogram layout), so a
    /// merge of the sorted bucket lists is exact and allocates only the result, not a full histogram (~266 KB).
    /// </summary>
    private static LatencyDistribution MergeSparse(LatencyDistribution[] parts)
    {
        var positions = new int[parts.Length];
        var values = new List<long>(parts.Max(p => p._bucketValues.Length));
        var cumulative = new List<long>(values.Capacity);
        long total = 0;
        while (true)
        {
            var next = long.MaxValue;
            for (var i = 0; i < parts.Length; i++)
            {
                if (positions[i] < parts[i]._bucketValues.Length)
                {
                    next = Math.Min(next, parts[i]._bucketValues[positions[i]]);
                }
            }

            if (next == long.MaxValue)
            {
                break;
            }

            for (var i = 0; i < parts.Length; i++)
            {
                var at = positions[i];
                if (at < parts[i]._bucketValues.Length && parts[i]._bucketValues[at] == next)
                {
                    total += parts[i]._cumulativeCounts[at] - (at > 0 ? parts[i]._cumulativeCounts[at - 1] : 0);
                    positions[i] = at + 1;
                }
            }

            values.Add(next);
            cumulative.Add(total);
        }

        return new([.. values], [.. cumulative], parts.Sum(p => p._sumMicroseconds), parts.Min(p => p._minMicroseconds), parts.Max(p => p._maxMicroseconds));
    }

    /// <inheritdoc />
    public override string ToString() =>
        Count == 0 ? "no samples" : $"n={Count} min={Format.Milliseconds(Min)} p50={Format.Milliseconds(P50)} p95={Format.Milliseconds(P95)} max={Format.Milliseconds(Max)}";

    internal static LatencyDistribution FromHistogram(HistogramBase histogram, long sum, long min, long max)
    {
        var values = new List<long>();
        var cumulative = new List<long>();
        long total = 0;
        foreach (var bucket in histogram.RecordedValues())
        {
            total += bucket.CountAtValueIteratedTo;
            values.Add(bucket.ValueIteratedTo);
            cumulative.Add(total);
        }

        return new LatencyDistribution([.. values], [.. cumulative], sum, min, max);
    }

    /// <summary>
    /// The histogram in HdrHistogram's compressed V2 encoding (interoperable with other HdrHistogram tools); with
    /// <see cref="SumMicroseconds"/>, <see cref="MinMicroseconds"/> and <see cref="MaxMicroseconds"/> it is the whole
    /// distribution (<see cref="Decode"/>). Costs in proportion to the buckets in use, not the histogram's range.
    /// </summary>
    public byte[] EncodeHistogram() => HistogramCodec.Encode(_bucketValues, _cumulativeCounts);

    /// <summary>A distribution from its encoded histogram (<see cref="EncodeHistogram"/>) and its exact sum, minimum and maximum.</summary>
    /// <exception cref="FormatException">The bytes are not a compressed V2 histogram of LoadKit's shape (1 µs to 1 h, 3 digits).</exception>
    public static LatencyDistribution Decode(ReadOnlySpan<byte> encodedHistogram, long sumMicroseconds, long minMicroseconds, long maxMicroseconds)
    {
        var (values, cumulative) = HistogramCodec.Decode(encodedHistogram);
        return values.Length == 0 ? Empty : new LatencyDistribution(values, cumulative, sumMicroseconds, minMicroseconds, maxMicroseconds);
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

        var values = new List<long>(_bucketValues.Length);
        var cumulative = new List<long>(_bucketValues.Length);
        long total = 0;
        var j = 0;
        for (var i = 0; i < _bucketValues.Length; i++)
        {
            var count = _cumulativeCounts[i] - (i > 0 ? _cumulativeCounts[i - 1] : 0);
            if (j < earlier._bucketValues.Length && earlier._bucketValues[j] == _bucketValues[i])
            {
                count -= earlier._cumulativeCounts[j] - (j > 0 ? earlier._cumulativeCounts[j - 1] : 0);
                j++;
            }

            if (count < 0 || (j < earlier._bucketValues.Length && earlier._bucketValues[j] < _bucketValues[i]))
            {
                throw new ArgumentException($"latency distribution ({earlier}): not an earlier state of ({this}).", nameof(earlier));
            }

            if (count > 0)
            {
                total += count;
                values.Add(_bucketValues[i]);
                cumulative.Add(total);
            }
        }

        return values.Count == 0 ? Empty : new LatencyDistribution([.. values], [.. cumulative], _sumMicroseconds - earlier._sumMicroseconds, _minMicroseconds, _maxMicroseconds);
    }

    private static TimeSpan FromMicroseconds(long microseconds) => TimeSpan.FromTicks(microseconds * 10);
}
