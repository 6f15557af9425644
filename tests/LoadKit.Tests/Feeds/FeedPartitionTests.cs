using System.Collections.Concurrent;
using LoadKit.Engine;
using LoadKit.Feeds;
using LoadKit.Workload;

namespace LoadKit.Tests.Feeds;

/// <summary>Partitioned feeds give each execution segment its own slice <c>[floor(from·n), floor(to·n))</c>.</summary>
public class FeedPartitionTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [TestCase(10, new[] { 0, 3, 3, 3, 6, 4 })]
    [TestCase(2, new[] { 0, 0, 0, 1, 1, 1 })]
    [TestCase(1000, new[] { 0, 333, 333, 333, 666, 334 })]
    public void Slice_ThreeEqualSegments_AreDisjointAndCoverAllRecords(int records, int[] expected)
    {
        var slices = Enumerable.Range(0, 3).SelectMany(i =>
        {
            var (first, count) = FeedCursor.Slice(SegmentSequence.Equal(3).Share(i), records);
            return new[] { first, count };
        });

        Assert.That(slices, Is.EqualTo(expected));
    }

    [Test]
    public void Slice_ShareWithinALostShare_CutsThatShareSlice()
    {
        var lost = SegmentSequence.Equal(3).Share(1);
        var parts = Enumerable.Range(0, 2).Select(j => FeedCursor.Slice(SegmentSequence.Equal(2).Share(j).Within(lost), 12)).ToArray();

        Assert.That(parts, Is.EqualTo(new[] { (4, 2), (6, 2) }), "the lost segment's records 4..7, halved");
    }

    [Test]
    public void FeedRun_NotPartitioned_GivesEverySegmentAllRecords()
    {
        var feed = DataFeed.FromValues("ids", "id", Enumerable.Range(0, 9));
        var slices = Enumerable.Range(0, 3).Select(i => FeedOrderTests.Bind(feed, out _, SegmentSequence.Equal(3).Share(i)).Cursors.Single())
            .Select(c => (c.First, c.Count));

        Assert.That(slices, Is.EqualTo(new[] { (0, 9), (0, 9), (0, 9) }));
    }

    [Test]
    public async Task RunAsync_EnginesForThreeSegmentsOfOneUniqueFeed_ReadDisjointSlicesCoveringAllRecords()
    {
        var feed = DataFeed.FromValues("ids", "id", Enumerable.Range(0, 100), new FeedOptions { Order = FeedOrder.Unique });
        var read = new ConcurrentDictionary<int, ConcurrentBag<int>>();
        var scenario = Scenario.Create("parts")
            .Feed(feed)
            .Step("use", async ctx =>
            {
                await Task.Yield();
                read.GetOrAdd(ctx.Session.Get<int>("id"), _ => []).Add(ctx.UserIndex);
            })
            .WithLoad(Load.ConstantUsers(6, TimeSpan.FromSeconds(20)))
            .Build();
        var plan = RunPlan.LoadOf(scenario, LoadProfile.Full, 1);
        var engines = Enumerable.Range(0, 3).Select(i => new ScenarioEngine(scenario, plan, SegmentSequence.Equal(3).Share(i))).ToArray();

        var results = await Task.WhenAll(engines.Select(e => e.RunAsync(CancellationToken.None))).WaitAsync(Bound);

        Assert.That(read.Keys.Order(), Is.EqualTo(Enumerable.Range(0, 100)));
        Assert.That(read.Values.Select(v => v.Count), Has.All.EqualTo(1));
        var slices = engines.Select(e => e.Feeds.Cursors.Single()).Select(c => (c.First, c.Count)).ToArray();
        Assert.That(slices, Is.EqualTo(new[] { (0, 33), (33, 33), (66, 34) }));
        for (var i = 0; i < 3; i++)
        {
            var (first, count) = slices[i];
            var usersOfSegment = SegmentSequence.Equal(3).Share(i);
            Assert.That(read.Where(r => r.Key >= first && r.Key < first + count).SelectMany(r => r.Value), Has.All.Matches<int>(u => usersOfSegment.Owns(u)),
                $"segment {i}'s records were read by its own VUs");
            Assert.That(results[i].Iterations.Ok, Is.EqualTo(count));
            Assert.That(engines[i].Notes.Single(), Does.Contain($"ran out after {count} records"));
        }
    }
}
