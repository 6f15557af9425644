using LoadKit.Targets;

namespace LoadKit.Tests.Targets;

/// <summary>The public cut of a run's load into segments, as a run target sees it.</summary>
public class LoadSegmentsTests
{
    [Test]
    public void Parse_TheBoundariesEqualWrote_IsTheSameCut()
    {
        var segments = LoadSegments.Equal(3);

        var read = LoadSegments.Parse(segments.Boundaries);

        Assert.That(segments.Boundaries, Is.EqualTo(new[] { "0", "1/3", "2/3", "1" }));
        Assert.That((read.Count, read.ToString(), read.Describe(1)), Is.EqualTo((3, "0,1/3,2/3,1", "segment 2 of 3 (1/3, 2/3]")));
    }

    [Test]
    public void Parse_BoundariesThatDoNotRiseFromZeroToOne_NameTheBoundaries()
    {
        Assert.That(() => LoadSegments.Parse(["0", "2/3", "1/3", "1"]), Throws.ArgumentException.With.Message.Contain("2/3"));
        Assert.That(() => LoadSegments.Parse(["0", "half", "1"]), Throws.TypeOf<FormatException>().With.Message.Contain("'half' is not a fraction"));
    }

    [Test]
    public void Check_MoreSegmentsThanTheBlocksVUs_ListsEverySegmentWithoutOne()
    {
        var plan = RunOptions.Default.Plan([Scenario.Create("few").Step("a", _ => ValueTask.CompletedTask).WithLoad(Load.SharedIterations(2, 10)).Build()]);

        Assert.That(LoadSegments.Equal(2).Check(plan), Is.Empty);
        Assert.That(LoadSegments.Equal(3).Check(plan), Has.Count.EqualTo(1).And.All.Contain("scenario 'few'"));
    }

    [TestCase(true, 400, 150)]
    [TestCase(false, 400, 400)]
    public void IterationsToMove_BlockUnderWay_IsWhatTheLostSegmentOwnedLessItsReport(bool reported, long owned, long remaining)
    {
        var plan = CountedAndTimed();
        var segments = LoadSegments.Equal(2);
        IReadOnlyList<ScenarioProgress>? progress = reported ? [new ScenarioProgress("counted", 0, 0, 250)] : null;

        var moved = segments.IterationsToMove(plan, segments.Segment(1), TimeSpan.FromSeconds(5), progress);

        Assert.That(moved, Is.EqualTo(new[] { new MovedIterations("counted", 0, owned, remaining) }), "its 2 VUs × 200; a scenario without an iteration-counted block moves no count");
    }

    [Test]
    public void IterationsToMove_APartTakenOverInsideTheBlock_IsWhatItWasSentLessItsReport()
    {
        var plan = CountedAndTimed();
        var segments = LoadSegments.Equal(2);
        var part = segments.Segment(1).Cut(0, 2);

        var moved = segments.IterationsToMove(plan, part, TimeSpan.FromSeconds(5), [new ScenarioProgress("counted", 3, 0, 40)], [new ScenarioIterations("counted", 0, 90)]);
        var notReported = segments.IterationsToMove(plan, part, TimeSpan.FromSeconds(5), progress: null, [new ScenarioIterations("counted", 0, 90)]);

        Assert.That(moved, Is.EqualTo(new[] { new MovedIterations("counted", 0, 90, 50) }));
        Assert.That(notReported, Is.EqualTo(new[] { new MovedIterations("counted", 0, 90, 90) }));
    }

    [Test]
    public void IterationsToMove_APartOfOtherSegments_NamesBoth()
    {
        Assert.That(() => LoadSegments.Equal(2).IterationsToMove(CountedAndTimed(), LoadSegments.Equal(3).Segment(0), TimeSpan.Zero, null),
            Throws.ArgumentException.With.Message.StartWith("part = segment 1 of 3 (0, 1/3] of segments 0,1/3,2/3,1: allowed a part of segments 0,1/2,1"));
    }

    [TestCase(1, 150)]
    [TestCase(3, 150)]
    [TestCase(3, 1)]
    [TestCase(5, 7)]
    public void SplitIterations_OverEqualParts_AddUpExactlyAndGiveNoneToAPartWithoutVUs(int parts, long remaining)
    {
        var plan = CountedAndTimed();
        var segments = LoadSegments.Equal(2);
        var held = segments.Segment(1).Cut(1, 2);
        var moved = new MovedIterations("counted", 0, 200, remaining);

        var split = segments.SplitIterations(plan, held, moved, parts);

        var users = Enumerable.Range(0, parts).Select(p => held.Cut(p, parts).Share.CountOwned(4)).ToArray();
        Assert.That(split.Select(s => (s.Scenario, s.Block)), Is.All.EqualTo(("counted", 0)));
        Assert.That(split.Sum(s => s.Iterations), Is.EqualTo(remaining));
        Assert.That(split.Where((_, p) => users[p] == 0).Select(s => s.Iterations), Is.All.Zero, $"VUs per part: {string.Join(", ", users)}");
    }

    [Test]
    public void SplitIterations_ABlockThatCountsNoIterations_NamesIt()
    {
        var segments = LoadSegments.Equal(2);

        Assert.That(() => segments.SplitIterations(CountedAndTimed(), segments.Segment(0), new MovedIterations("timed", 0, 10, 10), 2),
            Throws.ArgumentException.With.Message.StartWith("moved iterations = block 0 of scenario 'timed': allowed an iteration-counted block of a scenario of the plan."));
    }

    private static RunPlan CountedAndTimed() => RunOptions.Default.Plan([
        Scenario.Create("counted").Step("a", _ => ValueTask.CompletedTask).WithLoad(Load.IterationsPerUser(4, 200, TimeSpan.FromMinutes(1))).Build(),
        Scenario.Create("timed").Step("a", _ => ValueTask.CompletedTask).WithLoad(Load.ConstantUsers(2, TimeSpan.FromMinutes(1))).Build()]);
}
