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
        var counted = Scenario.Create("counted").Step("a", _ => ValueTask.CompletedTask).WithLoad(Load.IterationsPerUser(4, 200, TimeSpan.FromMinutes(1))).Build();
        var timed = Scenario.Create("timed").Step("a", _ => ValueTask.CompletedTask).WithLoad(Load.ConstantUsers(2, TimeSpan.FromMinutes(1))).Build();
        var plan = RunOptions.Default.Plan([counted, timed]);
        IReadOnlyList<ScenarioProgress>? progress = reported ? [new ScenarioProgress("counted", 0, 250)] : null;

        var moved = LoadSegments.Equal(2).IterationsToMove(plan, 1, TimeSpan.FromSeconds(5), progress);

        Assert.That(moved, Is.EqualTo(new[] { new MovedIterations("counted", owned, remaining) }), "its 2 VUs × 200; a scenario without an iteration-counted block moves no count");
    }
}
