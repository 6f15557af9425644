using LoadKit.Workload;
using LoadKit.Engine;

namespace LoadKit.Tests.Distributed;

/// <summary>The arithmetic of moving a lost segment's remaining iterations to the parts that take it over.</summary>
public class IterationTakeOverTests
{
    [TestCase(3, 30, 0, 2)]
    [TestCase(3, 30, 2, 2)]
    [TestCase(4, 7, 1, 3)]
    [TestCase(5, 5, 4, 4)]
    [TestCase(2, 1, 0, 3)]
    public void PartOf_AnyRemainder_PartsAddUpExactlyAndNoPartWithoutAUserGetsAny(int workers, int users, int lostIndex, int parts)
    {
        var sequence = SegmentSequence.Equal(workers);
        var block = new IterationsBlock(users, 1000, Shared: true, TimeSpan.FromMinutes(1), IsWarmUp: false);
        foreach (var remaining in new long[] { 0, 1, 2, 7, 333, 1000, 999_999_937 })
        {
            var shares = Enumerable.Range(0, parts).Select(p => IterationTakeOver.PartOf(remaining, block, sequence.Share(lostIndex), p, parts)).ToArray();
            var owners = Enumerable.Range(0, parts).Select(p => IterationTakeOver.Part(sequence.Share(lostIndex), p, parts).CountOwned(users)).ToArray();

            var lostUsers = sequence.Share(lostIndex).CountOwned(users);
            Assert.That(shares.Sum(), Is.EqualTo(lostUsers == 0 ? 0 : remaining), $"remaining {remaining}");
            Assert.That(shares.Where((_, p) => owners[p] == 0), Is.All.Zero, $"remaining {remaining}: parts without a VU");
            Assert.That(shares, Is.All.GreaterThanOrEqualTo(0));
        }
    }

    [TestCase(4, 30, 1, 3, 2)]
    [TestCase(3, 30, 2, 2, 2)]
    [TestCase(4, 7, 0, 3, 3)]
    public void PartOf_APartOfAPart_PartsAddUpExactlyToWhatThePartHad(int workers, int users, int lostIndex, int parts, int subParts)
    {
        var block = new IterationsBlock(users, 1000, Shared: true, TimeSpan.FromMinutes(1), IsWarmUp: false);
        var lost = SegmentSequence.Equal(workers).Share(lostIndex);
        for (var p = 0; p < parts; p++)
        {
            var part = IterationTakeOver.Part(lost, p, parts);
            var partUsers = part.CountOwned(users);
            foreach (var remaining in new long[] { 0, 1, 7, 333 })
            {
                var shares = Enumerable.Range(0, subParts).Select(q => IterationTakeOver.PartOf(remaining, block, part, q, subParts)).ToArray();
                var subUsers = Enumerable.Range(0, subParts).Select(q => IterationTakeOver.Part(part, q, subParts).CountOwned(users)).ToArray();

                Assert.That(subUsers.Sum(), Is.EqualTo(partUsers), "the sub-parts own exactly the part's VUs");
                Assert.That(shares.Sum(), Is.EqualTo(partUsers == 0 ? 0 : remaining), $"part {p}, remaining {remaining}");
                Assert.That(shares.Where((_, q) => subUsers[q] == 0), Is.All.Zero);
            }
        }
    }

    [Test]
    public void Remaining_ByProgress_IsOwnedLessCompletedOfThatBlockOnly()
    {
        Assert.That(IterationTakeOver.Remaining(1000, 1, new IterationProgress(1, 273)), Is.EqualTo(727));
        Assert.That(IterationTakeOver.Remaining(1000, 1, IterationProgress.None), Is.EqualTo(1000), "the block had not started");
        Assert.That(IterationTakeOver.Remaining(1000, 1, new IterationProgress(0, 50)), Is.EqualTo(1000), "an earlier block's count");
        Assert.That(IterationTakeOver.Remaining(1000, 1, new IterationProgress(2, 5)), Is.Zero, "a later block had started");
        Assert.That(IterationTakeOver.Remaining(1000, 1, null), Is.EqualTo(1000), "no report arrived");
        Assert.That(IterationTakeOver.Remaining(1000, 1, new IterationProgress(1, 1200)), Is.Zero);
    }
}
