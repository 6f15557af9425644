using LoadKit.Workload;

namespace LoadKit.Tests.Workload;

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
    public void Within_LostSegmentSplitAmongSurvivors_EveryIndexHasExactlyOneOwnerAndCountsAgree()
    {
        var sequences = new[] { SegmentSequence.Equal(3), SegmentSequence.Equal(4), new SegmentSequence([Fraction.Zero, new(1, 4), new(2, 3), Fraction.One]) };
        foreach (var sequence in sequences)
        {
            for (var lost = 0; lost < sequence.Count; lost++)
            {
                for (var m = 1; m <= 3; m++)
                {
                    var parts = SegmentSequence.Equal(m);
                    var shares = Enumerable.Range(0, sequence.Count).Where(s => s != lost).Select(sequence.Share)
                        .Concat(Enumerable.Range(0, m).Select(j => parts.Share(j).Within(sequence.Share(lost))))
                        .ToArray();

                    AssertPartition(shares, 5 * sequence.Denominator * parts.Denominator, $"{sequence}, lost {lost}, m {m}");
                }
            }
        }
    }

    [Test]
    public void Within_SurvivorLostToo_NestedTwiceStillPartitions()
    {
        var sequence = SegmentSequence.Equal(3);
        var halves = SegmentSequence.Equal(2);
        var firstHalf = halves.Share(0).Within(sequence.Share(2));
        var shares = new[]
        {
            sequence.Share(0),
            sequence.Share(1),
            halves.Share(1).Within(sequence.Share(2)),
            SegmentSequence.Equal(3).Share(0).Within(firstHalf),
            SegmentSequence.Equal(3).Share(1).Within(firstHalf),
            SegmentSequence.Equal(3).Share(2).Within(firstHalf),
        };

        AssertPartition(shares, 200, "the first half of segment 3 lost again");
        Assert.That(shares[3].ToString(), Is.EqualTo("part 1 of 3 of part 1 of 2 of segment 3 of 3 (2/3, 1]"));
    }

    [Test]
    public void Within_ToString_NamesThePartAndTheSegment()
    {
        var share = SegmentSequence.Equal(2).Share(0).Within(SegmentSequence.Equal(3).Share(2));

        Assert.That(share.ToString(), Is.EqualTo("part 1 of 2 of segment 3 of 3 (2/3, 1]"));
    }

    [Test]
    public void Within_ArrivalsOfTheLostSegment_AreSplitExactlyAmongTheSurvivors()
    {
        var block = (ArrivalBlock)LoadPlan.Create([], [Load.ArrivalRate(1000, TimeSpan.FromSeconds(7), 3, 30)]).Blocks.Single();
        var lost = SegmentSequence.Equal(3).Share(1);
        var parts = Enumerable.Range(0, 2).Select(j => SegmentSequence.Equal(2).Share(j).Within(lost)).ToArray();

        Assert.That(parts.Sum(p => p.CountOwned(block.TotalIterations)), Is.EqualTo(lost.CountOwned(block.TotalIterations)));
        Assert.That(parts.Select(p => block.CheckShare(p)), Is.All.Null);
        Assert.That(parts.Sum(p => p.CountOwned(block.MaxPoolUsers)), Is.EqualTo(lost.CountOwned(block.MaxPoolUsers)));
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

    /// <summary>Each index below <paramref name="limit"/> has one owner; CountOwned and NthOwned agree with Owns.</summary>
    private static void AssertPartition(SegmentShare[] shares, long limit, string what)
    {
        var counted = new long[shares.Length];
        for (long index = 0; index < limit; index++)
        {
            var owners = shares.Select((s, i) => (Share: s, Index: i)).Where(s => s.Share.Owns(index)).ToArray();
            Assert.That(owners, Has.Length.EqualTo(1), $"{what}: index {index}");
            var (owner, i) = owners[0];
            Assert.That(owner.CountOwned(index), Is.EqualTo(counted[i]), $"{what}: {owner} before {index}");
            Assert.That(owner.NthOwned(counted[i]), Is.EqualTo(index), $"{what}: {owner} unit {counted[i]}");
            counted[i]++;
        }

        foreach (var n in new long[] { 0, 1, limit, 987_654_321 })
        {
            Assert.That(shares.Sum(s => s.CountOwned(n)), Is.EqualTo(n), $"{what}: n {n}");
        }

        Assert.That(shares.Select((s, i) => s.CountOwned(limit) == counted[i]), Is.All.True, what);
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
