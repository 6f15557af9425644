using System.Collections.Concurrent;

namespace LoadKit.Tests.Feeds;

/// <summary>Where a feed is read: in a task's step chain, or by a step's own code.</summary>
public class FeedStepTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Test]
    public async Task Feed_InATaskChain_ReadsARecordEachTimeTheVuReachesIt()
    {
        var seen = new ConcurrentBag<(int User, string Before, string After)>();
        var feed = DataFeed.FromValues("letters", "letter", ["a", "b", "c", "d"]);
        var scenario = Scenario.Create("mix")
            .WithTask("two reads", 1, task => task
                .Feed(feed)
                .Step("first", ctx => Remember(ctx, "first"))
                .Feed(feed)
                .Step("second", ctx =>
                {
                    seen.Add((ctx.UserIndex, ctx.Session.Get<string>("first"), ctx.Session.Get<string>("letter")));
                    return ValueTask.CompletedTask;
                }))
            .WithLoad(Load.IterationsPerUser(1, 4))
            .Build();

        await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        Assert.That(seen.Select(s => s.Before + s.After).Order(), Is.EqualTo(new[] { "ab", "ab", "cd", "cd" }), "two reads per iteration, circular");

        static ValueTask Remember(StepContext ctx, string key)
        {
            ctx.Session.Set(key, ctx.Session.Get<string>("letter"));
            return ValueTask.CompletedTask;
        }
    }

    [Test]
    public async Task ReadInto_FeedTheScenarioDoesNotDeclare_FailsTheStepNamingTheFix()
    {
        var feed = DataFeed.FromValues("ids", "id", [1]);
        var scenario = Scenario.Create("undeclared")
            .Step("read", ctx =>
            {
                feed.ReadInto(ctx);
                return ValueTask.CompletedTask;
            })
            .WithLoad(Load.IterationsPerUser(1, 1))
            .Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetStep("read");

        Assert.That(step.Failed, Is.EqualTo(1));
        Assert.That(step.Errors.Single().Message, Does.Contain("Feed 'ids' is not used by this scenario").And.Contain("UseFeed"));
    }

    [Test]
    public async Task RunAsync_UniqueFeedRunsOutInSharedIterations_LaterPhasesDoNotRun()
    {
        var reads = new ConcurrentBag<int>();
        var feed = DataFeed.FromValues("ids", "id", Enumerable.Range(0, 50), new FeedOptions { Order = FeedOrder.Unique });
        var scenario = Scenario.Create("phases")
            .Feed(feed)
            .Step("use", async ctx =>
            {
                await Task.Yield();
                reads.Add(ctx.Session.Get<int>("id"));
            })
            .WithLoad(Load.SharedIterations(5, 1000), Load.ConstantUsers(5, TimeSpan.FromSeconds(20)))
            .Build();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        Assert.That(reads.Order(), Is.EqualTo(Enumerable.Range(0, 50)));
        Assert.That((result.GetScenario("phases").Iterations.Ok, result.GetScenario("phases").Iterations.Failed), Is.EqualTo((50L, 0L)));
        Assert.That(result.Notes.Single(), Does.Contain("feed 'ids' ran out after 50 records"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "the 20 s phase after the stop did not run");
    }
}
