using LoadKit.Feeds;

namespace LoadKit.Tests.Feeds;

/// <summary>Steady-state reads allocate nothing: the values are written into the session's dictionary as they are.</summary>
public class FeedAllocationTests
{
    [TestCase(FeedOrder.Circular)]
    [TestCase(FeedOrder.Random)]
    [TestCase(FeedOrder.Unique)]
    public void TryRead_SteadyState_AllocatesNothingPerRead(FeedOrder order)
    {
        var records = Enumerable.Range(0, 100).Select(i => new Dictionary<string, object?> { ["user"] = $"u{i}", ["password"] = $"p{i}", ["id"] = (long)i });
        var options = new FeedOptions { Order = order, Seed = 1, WhenExhausted = FeedExhaustion.Wrap };
        var run = FeedOrderTests.Bind(DataFeed.FromRecords("users", records, options), out var feed);
        var session = new Session(0);

        Assert.That(Engine.AllocationTests.AllocatedInSteadyState(_ => run.TryRead(feed, session)), Is.Zero);
    }

    [Test]
    public async Task RunAsync_FeedInStepChain_AllocatesNothingPerIteration()
    {
        var feed = DataFeed.FromValues("ids", "id", Enumerable.Range(0, 1000).Select(i => $"v{i}"));
        await AllocatedByRunAsync(feed, 20_000);
        var shortRun = await AllocatedByRunAsync(feed, 20_000);
        var longRun = await AllocatedByRunAsync(feed, 220_000);

        var perIteration = (longRun - shortRun) / 200_000.0;
        TestContext.Out.WriteLine($"short run {shortRun} B, long run {longRun} B, {perIteration:0.000} B per iteration");
        Assert.That(perIteration, Is.LessThan(1));
    }

    private static async Task<long> AllocatedByRunAsync(DataFeed feed, int iterations)
    {
        var scenario = Scenario.Create("fed")
            .Feed(feed)
            .Step("a", _ => ValueTask.CompletedTask)
            .WithLoad(Load.IterationsPerUser(1, iterations))
            .Build();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var result = await LoadRunner.RunAsync(scenario).WaitAsync(TimeSpan.FromSeconds(60));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.That(result.GetStep("a").Ok, Is.EqualTo(iterations));
        return allocated;
    }
}
