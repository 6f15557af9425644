using LoadKit.Stats;

namespace LoadKit.Tests.Stats;

public class TimelinePointsTests
{
    [Test]
    public void Add_HourOfSecondsWhileTheSentOnesAreForgotten_KeepsAFewChunks_ReadingsMadeBeforeKeepTheirPoints()
    {
        var timeline = new TimelinePoints<int>(second => second);
        IReadOnlyList<int>? early = null;
        var mostKept = 0;
        for (var second = 0; second < 3600; second++)
        {
            timeline.Add(second);
            timeline.ForgetBefore(second - 60); // as a worker does once a snapshot has sent up to this second
            mostKept = Math.Max(mostKept, timeline.Read().Count);
            if (second == 299)
            {
                early = timeline.Read();
            }
        }

        var kept = timeline.Read();
        Assert.That(kept[^1], Is.EqualTo(3599));
        Assert.That(kept, Is.EqualTo(Enumerable.Range(kept[0], kept.Count)), "the points kept, in order, without a gap");
        Assert.That(kept[0], Is.LessThanOrEqualTo(3599 - 60), "every second not yet forgotten is there");
        Assert.That(mostKept, Is.LessThanOrEqualTo(60 + 2 * 256), "at most the unforgotten seconds and two chunks of 256");
        Assert.That(early, Is.EqualTo(Enumerable.Range(early![0], early.Count)).And.Property("Count").GreaterThan(0));
        Assert.That(early[^1], Is.EqualTo(299), "a reading made before keeps what it had");
    }

    [Test]
    public void Add_NothingForgotten_KeepsEverySecond()
    {
        var timeline = new TimelinePoints<int>(second => second);
        for (var second = 0; second < 1000; second++)
        {
            timeline.Add(second);
        }

        Assert.That(timeline.Read(), Is.EqualTo(Enumerable.Range(0, 1000)));
    }
}
