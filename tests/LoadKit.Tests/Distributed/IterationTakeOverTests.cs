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
            var shares = Enumerable.Range(0, parts).Select(p => IterationTakeOver.PartOf(remaining, block, sequence, lostIndex, p, parts)).ToArray();
            var owners = Enumerable.Range(0, parts).Select(p => IterationTakeOver.Part(sequence, lostIndex, p, parts).CountOwned(users)).ToArray();

            var lostUsers = sequence.Share(lostIndex).CountOwned(users);
            Assert.That(shares.Sum(), Is.EqualTo(lostUsers == 0 ? 0 : remaining), $"remaining {remaining}");
            Assert.That(shares.Where((_, p) => owners[p] == 0), Is.All.Zero, $"remaining {remaining}: parts without a VU");
            Assert.That(shares, Is.All.GreaterThanOrEqualTo(0));
        }
    }

    [Test]
    public void Remaining_ByProgress_IsOwnedLessCompletedOfThatBlockOnly()
    {
        var lost = SegmentSequence.Equal(3).Share(1);
        var shared = new IterationsBlock(30, 3000, Shared: true, TimeSpan.FromMinutes(1), IsWarmUp: false);
        var perUser = new IterationsBlock(30, 100, Shared: false, TimeSpan.FromMinutes(1), IsWarmUp: false);

        Assert.That(IterationTakeOver.Remaining(shared, 1, lost, new IterationProgress(1, 273)), Is.EqualTo(727));
        Assert.That(IterationTakeOver.Remaining(perUser, 1, lost, new IterationProgress(1, 190)), Is.EqualTo(810), "100 for each of its 10 VUs, less 190");
        Assert.That(IterationTakeOver.Remaining(shared, 1, lost, IterationProgress.None), Is.EqualTo(1000), "the block had not started");
        Assert.That(IterationTakeOver.Remaining(shared, 1, lost, new IterationProgress(0, 50)), Is.EqualTo(1000), "an earlier block's count");
        Assert.That(IterationTakeOver.Remaining(shared, 1, lost, new IterationProgress(2, 5)), Is.Zero, "a later block had started");
        Assert.That(IterationTakeOver.Remaining(shared, 1, lost, null), Is.EqualTo(1000), "no report arrived");
        Assert.That(IterationTakeOver.Remaining(shared, 1, lost, new IterationProgress(1, 1200)), Is.Zero);
    }
}
