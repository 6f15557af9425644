namespace LoadKit.Tests.LoadModels;

/// <summary>The parts of any count, cut by any segment sequence, add up exactly to the whole.</summary>
public class SegmentSequenceTests
{
    [Test]
    public void CountOwned_TenUsersInThreeEqualSegments_IsFourThreeThree()
    {
        var sequence = SegmentSequence.Equal(3);

        var parts = Enumerable.Range(0, 3).Select(i => sequence.Share(i).CountOwned(10));

        Assert.That(parts, Is.EqualTo(new[] { 4L, 3L, 3L }));
    }

    [Test]
    public void Share_RandomSequences_EveryIndexHasExactlyOneOwnerAndCountsAgree()
    {
        var random = new Random(20261123);
        for (var trial = 0; trial < 300; trial++)
        {
            var sequence = RandomSequence(random);
            var shares = Enumerable.Range(0, sequence.Count).Select(sequence.Share).ToArray();
            var limit = 3 * sequence.Denominator + random.Next(50);

            for (long index = 0; index < limit; index++)
            {
                Assert.That(shares.Count(s => s.Owns(index)), Is.EqualTo(1), $"{sequence}: index {index}");
            }

            foreach (var n in new long[] { 0, 1, limit, random.NextInt64(1, 1_000_000_000) })
            {
                Assert.That(shares.Sum(s => s.CountOwned(n)), Is.EqualTo(n), $"{sequence}: n {n}");
            }

            foreach (var share in shares.Where(s => s.CountOwned(sequence.Denominator) > 0))
            {
                for (long j = 0; j < 40; j++)
                {
                    var global = share.NthOwned(j);
                    Assert.That(share.Owns(global) && share.CountOwned(global) == j, Is.True, $"{share}: {j}th is {global}");
                }
            }
        }
    }

    [Test]
    public void Share_AnyPrefix_IsSplitWithinOneOfItsShare()
    {
        var sequence = new SegmentSequence([Fraction.Zero, new(1, 4), new(2, 3), Fraction.One]);
        var shares = Enumerable.Range(0, 3).Select(sequence.Share).ToArray();

        for (long n = 0; n < 500; n++)
        {
            foreach (var share in shares)
            {
                var exact = n * (share.To.ToDouble() - share.From.ToDouble());
                Assert.That(share.CountOwned(n), Is.InRange(Math.Floor(exact) - 1, Math.Ceiling(exact) + 1), $"{share} of {n}");
            }
        }
    }

    [Test]
    public void Constructor_BadBoundaries_ThrowsNamingThem()
    {
        var gap = Assert.Throws<ArgumentException>(() => _ = new SegmentSequence([Fraction.Zero, new(1, 2), new(1, 3), Fraction.One]));
        var open = Assert.Throws<ArgumentException>(() => _ = new SegmentSequence([Fraction.Zero, new(1, 2)]));

        Assert.That(gap.Message, Does.Contain("Segment boundary 1/3 must be greater than the one before it (1/2)"));
        Assert.That(open.Message, Does.Contain("must start at 0, end at 1"));
        Assert.That(Fraction.Parse("2/6"), Is.EqualTo(new Fraction(1, 3)));
        Assert.Throws<FormatException>(() => Fraction.Parse("1/0"));
    }

    internal static SegmentSequence RandomSequence(Random random)
    {
        if (random.Next(2) == 0)
        {
            return SegmentSequence.Equal(random.Next(1, 17));
        }

        var denominator = random.Next(2, 61);
        var cuts = Enumerable.Range(1, denominator - 1).OrderBy(_ => random.Next()).Take(random.Next(0, Math.Min(8, denominator - 1)))
            .Order().Select(n => new Fraction(n, denominator));
        return new SegmentSequence([Fraction.Zero, .. cuts, Fraction.One]);
    }
}
