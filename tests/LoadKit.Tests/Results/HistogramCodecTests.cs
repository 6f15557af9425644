using HdrHistogram;
using HdrHistogram.Utilities;
using LoadKit.Results;
using LoadKit.Stats;

namespace LoadKit.Tests.Results;

public class HistogramCodecTests
{
    private static readonly long[][] Samples =
    [
        [1],
        [5, 5, 5, 1500, 2049, 123_456],
        [.. Enumerable.Range(1, 5000).Select(i => (long)i * 37)],
        [3_600_000_000, 1, 2047, 2048, 2049, 4096, 1_000_000],
    ];

    private static (LongHistogram Histogram, LatencyDistribution Distribution) Recorded(IEnumerable<long> values)
    {
        var histogram = Histograms.Create();
        var accumulator = LatencyAccumulator.ForTotals();
        foreach (var value in values)
        {
            histogram.RecordValue(value);
            accumulator.Record(value);
        }

        return (histogram, accumulator.ToDistribution());
    }

    private static (long Value, long Count)[] Buckets(HistogramBase histogram) =>
        [.. histogram.RecordedValues().Select(b => (b.ValueIteratedTo, b.CountAtValueIteratedTo))];

    [TestCaseSource(nameof(Samples))]
    public void Decode_HdrHistogramsOwnEncoding_GivesItsBuckets(long[] values)
    {
        var (histogram, distribution) = Recorded(values);
        var buffer = ByteBuffer.Allocate(histogram.GetNeededByteBufferCapacity());
        var length = histogram.EncodeIntoCompressedByteBuffer(buffer);
        var bytes = new byte[length];
        buffer.Position = 0;
        for (var i = 0; i < length; i++)
        {
            bytes[i] = buffer.Get();
        }

        var decoded = LatencyDistribution.Decode(bytes, distribution.SumMicroseconds, distribution.MinMicroseconds, distribution.MaxMicroseconds);

        Assert.That(decoded.EncodeHistogram(), Is.EqualTo(distribution.EncodeHistogram()), "the same buckets and counts");
        Assert.That(decoded.Count, Is.EqualTo(values.Length));
        Assert.That(decoded.P50, Is.EqualTo(distribution.P50));
        Assert.That(decoded.P99, Is.EqualTo(distribution.P99));
    }

    [TestCaseSource(nameof(Samples))]
    public void EncodeHistogram_ReadByHdrHistogram_GivesTheSameBuckets(long[] values)
    {
        var (histogram, distribution) = Recorded(values);

        var decoded = HistogramEncoding.DecodeFromCompressedByteBuffer(ByteBuffer.Allocate(distribution.EncodeHistogram()), 0);

        Assert.That(Buckets(decoded), Is.EqualTo(Buckets(histogram)));
    }

    [Test]
    public void EncodeHistogram_Empty_DecodesToEmpty()
    {
        var decoded = LatencyDistribution.Decode(LatencyDistribution.Empty.EncodeHistogram(), 0, 0, 0);

        Assert.That(decoded, Is.SameAs(LatencyDistribution.Empty));
    }

    [Test]
    public void Decode_HalfOfAnEncoding_ThrowsFormatExceptionSayingWhy()
    {
        var bytes = Recorded([.. Enumerable.Range(1, 300).Select(i => (long)i)]).Distribution.EncodeHistogram();

        Assert.That(() => LatencyDistribution.Decode(bytes.AsSpan(0, bytes.Length / 2), 1, 1, 1), Throws.InstanceOf<FormatException>().With.Message.StartWith("histogram = "));
        Assert.That(() => LatencyDistribution.Decode(new byte[] { 1, 2, 3 }, 1, 1, 1), Throws.InstanceOf<FormatException>().With.Message.Contain("not an HdrHistogram compressed V2 encoding"));
    }

    [Test]
    public void Decode_AnotherShape_IsRefusedNamingIt()
    {
        var other = new LongHistogram(1, 1_000_000, 2);
        other.RecordValue(10);
        var buffer = ByteBuffer.Allocate(other.GetNeededByteBufferCapacity());
        var length = other.EncodeIntoCompressedByteBuffer(buffer);
        var bytes = new byte[length];
        buffer.Position = 0;
        for (var i = 0; i < length; i++)
        {
            bytes[i] = buffer.Get();
        }

        Assert.That(() => LatencyDistribution.Decode(bytes, 10, 10, 10),
            Throws.InstanceOf<FormatException>().With.Message.EqualTo("histogram = 1 to 1000000, 2 digits: allowed only LoadKit's shape, 1 to 3600000000 µs, 3 digits (others do not merge exactly)."));
    }

    [Test]
    public void Since_AnEarlierState_MergesBackExactly()
    {
        var accumulator = LatencyAccumulator.ForTotals();
        var random = new Random(3);
        for (var i = 0; i < 2000; i++)
        {
            accumulator.Record(random.Next(1, 100_000));
        }

        var earlier = accumulator.ToDistribution();
        for (var i = 0; i < 700; i++)
        {
            accumulator.Record(random.Next(50_000, 5_000_000));
        }

        var later = accumulator.ToDistribution();

        var interval = later.Since(earlier);

        Assert.That(interval.Count, Is.EqualTo(700));
        Assert.That(LatencyDistribution.Merge([earlier, interval]).EncodeHistogram(), Is.EqualTo(later.EncodeHistogram()));
        Assert.That(LatencyDistribution.Merge([earlier, interval]).SumMicroseconds, Is.EqualTo(later.SumMicroseconds));
        Assert.That(() => earlier.Since(later), Throws.ArgumentException.With.Message.Contain("not an earlier state of"));
    }
}
