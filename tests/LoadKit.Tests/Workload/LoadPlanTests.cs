using LoadKit.Workload;

namespace LoadKit.Tests.Workload;

/// <summary>Plans cut into segments: VUs, iterations, rates and ramps add up exactly to the whole.</summary>
public class LoadPlanTests
{
    private static LoadPlan Plan(params LoadPhase[] phases) => LoadPlan.Create([], phases);

    [Test]
    public void Create_ConsecutiveUserPhases_FormOneTimelineThatRampsFromThePreviousLevel()
    {
        var plan = Plan(
            Load.RampUsers(to: 10, during: TimeSpan.FromSeconds(10)),
            Load.ConstantUsers(10, TimeSpan.FromSeconds(5)),
            Load.RampUsers(to: 0, during: TimeSpan.FromSeconds(5)));

        var block = (UsersBlock)plan.Blocks.Single();

        Assert.That(block.Duration, Is.EqualTo(TimeSpan.FromSeconds(20)));
        Assert.That(new[] { 0.0, 0.99, 1, 5, 10, 12, 15, 17.5, 20 }.Select(s => block.LevelAt(TimeSpan.FromSeconds(s))),
            Is.EqualTo(new[] { 0, 0, 1, 5, 10, 10, 10, 5, 0 }));
        Assert.That(plan.MaxUsers, Is.EqualTo(10));
    }

    [Test]
    public void UsersBlock_RandomRampsAndSegments_SegmentLevelsSumToTheGlobalLevelAtEveryInstant()
    {
        var random = new Random(42);
        for (var trial = 0; trial < 200; trial++)
        {
            var phases = Enumerable.Range(0, random.Next(1, 5)).Select(_ => random.Next(3) switch
            {
                0 => Load.ConstantUsers(random.Next(1, 60), TimeSpan.FromSeconds(random.Next(1, 20))),
                1 => Load.RampUsers(random.Next(0, 60), TimeSpan.FromSeconds(random.Next(1, 20))),
                _ => Load.RampUsers(random.Next(0, 60), random.Next(0, 60), TimeSpan.FromMilliseconds(random.Next(1, 20_000))),
            }).ToArray();
            var block = (UsersBlock)Plan(phases).Blocks.Single();
            var sequence = SegmentSequenceTests.RandomSequence(random);
            var events = Enumerable.Range(0, sequence.Count).Select(i => block.EventsFor(sequence.Share(i))).ToArray();

            for (var sample = 0; sample < 25; sample++)
            {
                var at = TimeSpan.FromTicks(random.NextInt64(block.Duration.Ticks + 1));
                var parts = events.Sum(e => e.Where(x => x.At <= at).Sum(x => x.Start ? 1 : -1));
                Assert.That(parts, Is.EqualTo(block.LevelAt(at)), $"{string.Join(", ", (object[])phases)} over {sequence} at {at}");
            }
        }
    }

    [Test]
    public void ArrivalBlock_ConstantRate_SchedulesEveryIterationAtKOverRate()
    {
        var block = (ArrivalBlock)Plan(Load.ArrivalRate(2000, TimeSpan.FromSeconds(10), 10, 100)).Blocks.Single();

        Assert.That(block.TotalIterations, Is.EqualTo(20_000));
        Assert.That(block.ScheduledAt(0), Is.EqualTo(TimeSpan.Zero));
        Assert.That(block.ScheduledAt(1999).TotalSeconds, Is.EqualTo(0.9995).Within(1e-9));
        Assert.That(block.ScheduledAt(19_999).TotalSeconds, Is.EqualTo(9.9995).Within(1e-9));
    }

    [Test]
    public void ArrivalBlock_RatesBelowOnePerSecond_UsePer()
    {
        var block = (ArrivalBlock)Plan(Load.ArrivalRate(30, TimeSpan.FromMinutes(2), 1, 2, per: TimeSpan.FromMinutes(1))).Blocks.Single();

        Assert.That(block.TotalIterations, Is.EqualTo(60));
        Assert.That(block.ScheduledAt(1), Is.EqualTo(TimeSpan.FromSeconds(2)));
    }

    [Test]
    public void ArrivalBlock_Ramp_SchedulesTheIntegralOfTheRateAndIsMonotone()
    {
        var block = (ArrivalBlock)Plan(
            Load.RampArrivalRate(to: 100, during: TimeSpan.FromSeconds(10), 5, 50),
            Load.ArrivalRate(100, TimeSpan.FromSeconds(5), 5, 50),
            Load.RampArrivalRate(to: 0, during: TimeSpan.FromSeconds(10), 5, 50)).Blocks.Single();

        // 0→100/s over 10 s is 500 iterations, 100/s for 5 s is 500, 100→0/s over 10 s is 500.
        Assert.That(block.TotalIterations, Is.EqualTo(1500));
        Assert.That(block.ScheduledAt(500).TotalSeconds, Is.EqualTo(10).Within(1e-6));
        Assert.That(block.ScheduledAt(1000).TotalSeconds, Is.EqualTo(15).Within(1e-6));
        // Within a ramp from 0, n iterations have started by sqrt(n·2d/r): 125 by 5 s.
        Assert.That(block.ScheduledAt(125).TotalSeconds, Is.EqualTo(5).Within(1e-6));
        var times = Enumerable.Range(0, 1500).Select(k => block.ScheduledAt(k)).ToArray();
        Assert.That(times, Is.Ordered);
        Assert.That(times[^1], Is.LessThan(block.Duration));
    }

    [Test]
    public void ArrivalBlock_RandomRatesAndSegments_OwnedIterationsSumToTheWholeSecondBySecond()
    {
        var random = new Random(7);
        for (var trial = 0; trial < 60; trial++)
        {
            var phases = Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(2) == 0
                ? Load.ArrivalRate(random.Next(1, 400) + random.NextDouble(), TimeSpan.FromSeconds(random.Next(1, 8)), 1, 50)
                : Load.RampArrivalRate(random.Next(0, 400), TimeSpan.FromSeconds(random.Next(1, 8)), 1, 50)).ToArray();
            var block = (ArrivalBlock)Plan(phases).Blocks.Single();
            var sequence = SegmentSequenceTests.RandomSequence(random);
            var perSecond = new long[(int)block.Duration.TotalSeconds + 1];
            long total = 0;
            for (var s = 0; s < sequence.Count; s++)
            {
                var share = sequence.Share(s);
                for (long j = 0; share.NthOwned(j) < block.TotalIterations; j++)
                {
                    perSecond[(int)block.ScheduledAt(share.NthOwned(j)).TotalSeconds]++;
                    total++;
                }
            }

            var whole = new long[perSecond.Length];
            for (long k = 0; k < block.TotalIterations; k++)
            {
                whole[(int)block.ScheduledAt(k).TotalSeconds]++;
            }

            Assert.That(total, Is.EqualTo(block.TotalIterations));
            Assert.That(perSecond, Is.EqualTo(whole));
        }
    }

    [Test]
    public void IterationsBlock_SharedAndPerUser_SplitExactly()
    {
        var shared = (IterationsBlock)Plan(Load.SharedIterations(7, 1000)).Blocks.Single();
        var perUser = (IterationsBlock)Plan(Load.IterationsPerUser(7, 13)).Blocks.Single();
        var sequence = SegmentSequence.Equal(4);

        Assert.That(Enumerable.Range(0, 4).Sum(i => shared.IterationsFor(sequence.Share(i))), Is.EqualTo(1000));
        Assert.That(Enumerable.Range(0, 4).Sum(i => perUser.IterationsFor(sequence.Share(i))), Is.EqualTo(7 * 13));
        Assert.That(Enumerable.Range(0, 4).Sum(i => sequence.Share(i).CountOwned(7)), Is.EqualTo(7));
    }

    [Test]
    public void FirstAtOrAfter_RampsAndPlateaus_IsTheFirstIterationScheduledThenOrLater()
    {
        var block = (ArrivalBlock)Plan(
            Load.RampArrivalRate(0, 50, TimeSpan.FromSeconds(3), 1, 1),
            Load.ArrivalRate(50, TimeSpan.FromSeconds(2), 1, 1),
            Load.RampArrivalRate(0, TimeSpan.FromSeconds(2), 1, 1)).Blocks.Single();
        var scheduled = Enumerable.Range(0, (int)block.TotalIterations).Select(k => block.ScheduledAt(k)).ToArray();

        foreach (var seconds in new[] { 0.0, 0.001, 1, 2.5, 3, 3.01, 4.999, 5, 6, 6.99, 7, 8 })
        {
            var offset = TimeSpan.FromSeconds(seconds);
            var expected = Array.FindIndex(scheduled, at => at >= offset) is var k and >= 0 ? k : scheduled.Length;
            Assert.That(block.FirstAtOrAfter(offset), Is.EqualTo(expected), $"at {seconds} s");
        }
    }

    [Test]
    public void CheckSplit_SegmentWithWorkButNoUser_IsAProblem()
    {
        var plan = Plan(Load.SharedIterations(2, 100), Load.ArrivalRate(50, TimeSpan.FromSeconds(5), 1, 2));

        var problems = plan.CheckSplit(SegmentSequence.Equal(3));

        Assert.That(problems.Select(p => p.Value), Is.EqualTo(new[]
        {
            "segment 3 of 3 (2/3, 1] would run 33 iterations with 0 of the 2 users",
            "segment 3 of 3 (2/3, 1] would start 83 iterations with 0 of the 2 max users",
        }));
        Assert.That(plan.CheckSplit(SegmentSequence.Equal(2)), Is.Empty);
    }
}
