using LoadKit.Stats;

namespace LoadKit.Tests.Results;

public class LatencyDistributionTests
{
    private static LatencyDistribution Distribution(IEnumerable<long> microseconds)
    {
        var accumulator = LatencyAccumulator.ForTotals();
        foreach (var value in microseconds)
        {
            accumulator.Record(value);
        }

        return accumulator.ToDistribution();
    }

    [TestCase(50, 500)]
    [TestCase(75, 750)]
    [TestCase(90, 900)]
    [TestCase(95, 950)]
    [TestCase(99, 990)]
    [TestCase(99.9, 999)]
    [TestCase(100, 1000)]
    public void Percentile_OneToThousandMilliseconds_IsNearestRankWithinHistogramPrecision(double percentile, double expectedMs)
    {
        var distribution = Distribution(Enumerable.Range(1, 1000).Select(ms => ms * 1000L));

        var value = distribution.Percentile(percentile).TotalMilliseconds;

        // 3 significant digits: the reported value is the top of the sample's bucket, at most 0.1 % above it.
        Assert.That(value, Is.InRange(expectedMs, expectedMs * 1.001));
    }

    [TestCase(25, 100)]
    [TestCase(26, 200)]
    [TestCase(50, 200)]
    [TestCase(60, 300)]
    [TestCase(75, 300)]
    [TestCase(76, 400)]
    public void Percentile_FourSamples_IsTheSmallestValueCoveringThatShare(double percentile, long expectedMicroseconds)
    {
        var distribution = Distribution([100, 200, 300, 400]);

        Assert.That(distribution.Percentile(percentile), Is.EqualTo(TimeSpan.FromMicroseconds(expectedMicroseconds)));
    }

    [Test]
    public void CountMinMeanMax_AreExact()
    {
        var distribution = Distribution(Enumerable.Range(1, 1000).Select(ms => ms * 1000L + 7));

        Assert.That(distribution.Count, Is.EqualTo(1000));
        Assert.That(distribution.Min, Is.EqualTo(TimeSpan.FromMicroseconds(1007)));
        Assert.That(distribution.Max, Is.EqualTo(TimeSpan.FromMicroseconds(1_000_007)));
        Assert.That(distribution.Mean, Is.EqualTo(TimeSpan.FromMicroseconds(500_507)));
    }

    [Test]
    public void Percentile_SingleSample_NeverAboveMaxNorBelowMin()
    {
        var distribution = Distribution([1_234_567]);

        Assert.That(distribution.Percentile(100), Is.EqualTo(distribution.Max));
        Assert.That(distribution.Percentile(0.001), Is.EqualTo(distribution.Min));
    }

    [TestCase(3_333, TestName = "Merge_7PartsOfOneSampleSet_EqualsOneHistogramOfAllSamples")]
    [TestCase(20_000, TestName = "Merge_1PartOfOneSampleSet_EqualsOneHistogramOfAllSamples")]
    [TestCase(400, TestName = "Merge_50PartsOfOneSampleSet_EqualsOneHistogramOfAllSamples")]
    public void Merge_PartsOfOneSampleSet_EqualsOneHistogramOfAllSamples(int samplesPerPart)
    {
        var random = new Random(1234);
        var samples = Enumerable.Range(0, 20_000).Select(_ => (long)(Math.Exp(random.NextDouble() * 14) + 1)).ToArray();
        var parts = samples.Chunk(samplesPerPart).Select(Distribution).Append(LatencyDistribution.Empty).ToArray();

        var merged = LatencyDistribution.Merge(parts);
        var whole = Distribution(samples);

        Assert.That(merged.Count, Is.EqualTo(whole.Count));
        Assert.That(merged.Min, Is.EqualTo(whole.Min));
        Assert.That(merged.Max, Is.EqualTo(whole.Max));
        Assert.That(merged.Mean, Is.EqualTo(whole.Mean));
        foreach (var percentile in Enumerable.Range(1, 1000).Select(i => i / 10.0).Concat([99.95, 99.99, 99.999]))
        {
            Assert.That(merged.Percentile(percentile), Is.EqualTo(whole.Percentile(percentile)), $"p{percentile}");
        }

        Assert.That(merged.EncodeHistogram(), Is.EqualTo(whole.EncodeHistogram()), "the same buckets");
    }

    [TestCase(0)]
    [TestCase(-1)]
    [TestCase(100.5)]
    [TestCase(double.NaN)]
    public void Percentile_OutOfRange_ThrowsNamingTheValue(double percentile)
    {
        var exception = Assert.Throws<ArgumentOutOfRangeException>(() => Distribution([10]).Percentile(percentile));

        Assert.That(exception.Message, Does.Contain($"Percentile {percentile} is out of range"));
    }

    [Test]
    public void Empty_HasNoSamplesAndZeroFigures()
    {
        Assert.That(LatencyDistribution.Empty.Count, Is.Zero);
        Assert.That(LatencyDistribution.Empty.P95, Is.EqualTo(TimeSpan.Zero));
        Assert.That(LatencyDistribution.Merge([LatencyDistribution.Empty, LatencyDistribution.Empty]).Count, Is.Zero);
    }
}
