using LoadKit.Engine;
using LoadKit.Workload;

namespace LoadKit.Tests.Engine;

/// <summary>Resume planning alone: which blocks remain at an offset into a plan, and which VU slots a users block replays.</summary>
public class ResumePlanningTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Test]
    public void Blocks_ResumedInTheSecondBlock_SkipsTheFirstAndStartsTheSecondAtTheOffset()
    {
        var plan = TwoBlocks();

        var blocks = Resume.Blocks(plan, 3 * Second).ToArray();

        Assert.That(blocks, Is.EqualTo(new[] { (1, plan.Blocks[1], Second) }));
    }

    [Test]
    public void Blocks_ResumedAtABlockBoundary_StartsTheNextBlockAtItsStart()
    {
        var plan = TwoBlocks();

        var blocks = Resume.Blocks(plan, 2 * Second).ToArray();

        Assert.That(blocks, Is.EqualTo(new[] { (1, plan.Blocks[1], TimeSpan.Zero) }));
        Assert.That(Resume.Blocks(plan, TimeSpan.Zero).Select(b => b.From), Is.EqualTo(new[] { TimeSpan.Zero, TimeSpan.Zero }));
    }

    [Test]
    public void Events_FromZero_ReturnsTheEventsAsTheyAre()
    {
        UserEvent[] events = [new(TimeSpan.Zero, 0, Start: true), new(Second, 0, Start: false)];

        Assert.That(Resume.Events(events, TimeSpan.Zero), Is.SameAs(events));
    }

    [Test]
    public void Events_PartWay_StartsTheSlotsRunningThenAtOnceThenFollowsTheLaterEvents()
    {
        UserEvent[] events =
        [
            new(TimeSpan.Zero, 0, Start: true),
            new(Second, 1, Start: true),
            new(2 * Second, 0, Start: false),
            new(3 * Second, 2, Start: true),
        ];

        var resumed = Resume.Events(events, 2 * Second).ToArray();

        // Slot 0 stopped at the offset itself: it is not replayed.
        Assert.That(resumed, Is.EqualTo(new UserEvent[] { new(2 * Second, 1, Start: true), new(3 * Second, 2, Start: true) }));
    }

    private static LoadPlan TwoBlocks() => RunPlan.LoadOf(
        Scenario.Create("two")
            .Step("a", _ => ValueTask.CompletedTask)
            .WithLoad(Load.ConstantUsers(4, 2 * Second), Load.ArrivalRate(10, 2 * Second, preAllocatedUsers: 2, maxUsers: 4))
            .Build(),
        LoadProfile.Full,
        1);
}
