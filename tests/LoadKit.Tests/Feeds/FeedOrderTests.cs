using System.Collections.Concurrent;
using LoadKit.Feeds;
using LoadKit.Workload;

namespace LoadKit.Tests.Feeds;

/// <summary>The orders of a feed, read directly through the cursor an engine binds (no load, no timing).</summary>
public class FeedOrderTests
{
    [Test]
    public void TryRead_Circular_WrapsToTheFirstRecordAfterTheLast()
    {
        var run = Bind(DataFeed.FromValues("ids", "id", [1, 2, 3]), out var feed);
        var session = new Session(0);

        var read = Enumerable.Range(0, 7).Select(_ => run.TryRead(feed, session) ? session.Get<int>("id") : -1).ToArray();

        Assert.That(read, Is.EqualTo(new[] { 1, 2, 3, 1, 2, 3, 1 }));
        Assert.That(run.Note, Is.Null);
    }

    [Test]
    public void TryRead_RandomWithSeed_GivesEachVuTheSameSequenceInEveryRun()
    {
        var values = Enumerable.Range(0, 1000).ToArray();
        var options = new FeedOptions { Order = FeedOrder.Random, Seed = 42 };

        int[] Sequence(int user, FeedOptions o)
        {
            var run = Bind(DataFeed.FromValues("ids", "id", values, o), out var feed);
            var session = new Session(user);
            return [.. Enumerable.Range(0, 50).Select(_ => run.TryRead(feed, session) ? session.Get<int>("id") : -1)];
        }

        var first = Sequence(3, options);
        Assert.That(Sequence(3, options), Is.EqualTo(first), "same seed and VU: same sequence");
        Assert.That(Sequence(3, options), Is.Not.EqualTo(Sequence(4, options)), "another VU draws from its own generator");
        Assert.That(Sequence(3, options), Is.Not.EqualTo(Sequence(3, options with { Seed = 43 })), "another seed");
        Assert.That(Sequence(3, options).Distinct().Count(), Is.GreaterThan(40), "draws spread over the records");
    }

    [Test]
    public void TryRead_RandomInterleavedVus_DoesNotChangeAVusSequence()
    {
        var options = new FeedOptions { Order = FeedOrder.Random, Seed = 7 };
        var values = Enumerable.Range(0, 1000).ToArray();
        var alone = Bind(DataFeed.FromValues("ids", "id", values, options), out var feed1);
        var mixed = Bind(DataFeed.FromValues("ids", "id", values, options), out var feed2);
        var (a, b, c) = (new Session(5), new Session(5), new Session(6));

        var solo = new List<int>();
        var interleaved = new List<int>();
        for (var i = 0; i < 20; i++)
        {
            alone.TryRead(feed1, a);
            solo.Add(a.Get<int>("id"));
            mixed.TryRead(feed2, c);
            mixed.TryRead(feed2, b);
            interleaved.Add(b.Get<int>("id"));
        }

        Assert.That(interleaved, Is.EqualTo(solo));
    }

    [Test]
    public async Task TryRead_UniqueFromFourThreads_HandsEachRecordOnceThenStops()
    {
        var run = Bind(DataFeed.FromValues("ids", "id", Enumerable.Range(0, 10_000), new FeedOptions { Order = FeedOrder.Unique }), out var feed);
        var seen = new ConcurrentBag<int>();
        var refused = 0;

        await Task.WhenAll(Enumerable.Range(0, 4).Select(user => Task.Run(() =>
        {
            var session = new Session(user);
            while (run.TryRead(feed, session))
            {
                seen.Add(session.Get<int>("id"));
            }

            Interlocked.Increment(ref refused);
        }))).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(seen.Order(), Is.EqualTo(Enumerable.Range(0, 10_000)));
        Assert.That(refused, Is.EqualTo(4));
        Assert.That(run.IsStopping, Is.True);
        Assert.That(run.Note, Does.Match("scenario 's' stopped at [0-9.]+ s: feed 'ids' ran out after 10000 records"));
    }

    [Test]
    public void TryRead_UniqueWithWrap_StartsOverAndNeverStops()
    {
        var run = Bind(DataFeed.FromValues("ids", "id", [1, 2, 3], new FeedOptions { Order = FeedOrder.Unique, WhenExhausted = FeedExhaustion.Wrap }), out var feed);
        var session = new Session(0);

        var read = Enumerable.Range(0, 6).Select(_ => run.TryRead(feed, session) ? session.Get<int>("id") : -1).ToArray();

        Assert.That(read, Is.EqualTo(new[] { 1, 2, 3, 1, 2, 3 }));
        Assert.That(run.IsStopping, Is.False);
    }

    [Test]
    public void TryRead_WithPrefix_StoresEachFieldUnderPrefixAndNameForTemplates()
    {
        var records = new[]
        {
            new Dictionary<string, object?> { ["name"] = "ada", ["id"] = 7 },
        };
        var run = Bind(DataFeed.FromRecords("users", records, new FeedOptions { Prefix = "user." }), out var feed);
        var session = new Session(0);

        run.TryRead(feed, session);

        Assert.That(Template.Parse("/users/{{user.id}}?name={{user.name}}").Render(session), Is.EqualTo("/users/7?name=ada"));
        Assert.That(session.Contains("name"), Is.False);
    }

    [Test]
    public void TryRead_SameFeedInTwoEngines_KeepsAPositionInEach()
    {
        var feed = DataFeed.FromValues("ids", "id", [1, 2, 3], new FeedOptions { Order = FeedOrder.Unique });
        feed.Load("feed", []);
        var (one, two) = (new FeedRun([feed], "one", SegmentShare.Whole), new FeedRun([feed], "two", SegmentShare.Whole));
        var session = new Session(0);

        var fromOne = Enumerable.Range(0, 3).Select(_ => one.TryRead(feed, session) ? session.Get<int>("id") : -1).ToArray();
        var fromTwo = Enumerable.Range(0, 3).Select(_ => two.TryRead(feed, session) ? session.Get<int>("id") : -1).ToArray();

        Assert.That((fromOne, fromTwo), Is.EqualTo((new[] { 1, 2, 3 }, new[] { 1, 2, 3 })));
    }

    internal static FeedRun Bind(DataFeed feed, out DataFeed bound, SegmentShare? share = null)
    {
        var problems = new List<ValidationProblem>();
        feed.Load("feed", problems);
        Assert.That(problems, Is.Empty);
        bound = feed;
        return new FeedRun([feed], "s", share ?? SegmentShare.Whole);
    }
}
