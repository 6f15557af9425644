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
}
