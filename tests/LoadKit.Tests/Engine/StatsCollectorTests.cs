using System.Diagnostics;
using LoadKit.Engine;
using LoadKit.Stats;

namespace LoadKit.Tests.Engine;

/// <summary>The collector's seconds: from the run's start, or aligned to an earlier start when a plan is resumed.</summary>
public class StatsCollectorTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Test]
    public async Task Collect_OffsetOfTwoAndThreeQuarterSeconds_FirstIntervalIsPartialAndNumberedTwo()
    {
        var source = new RecordingSource(intervals: 2);
        var collector = new StatsCollector([source], offset: TimeSpan.FromSeconds(2.75));

        collector.Start();
        await source.Collected.WaitAsync(Bound);
        await collector.StopAsync();

        var points = source.Points.ToArray();
        Assert.That(points.Select(p => p.Second), Is.EqualTo(new[] { 2, 3, 4 }), "two ticks, then the partial last interval");
        // The first tick closes second 2 a quarter of a second in, at the earlier start's 3 s; the next a second later.
        Assert.That(points[0].At, Is.InRange(TimeSpan.FromSeconds(0.24), TimeSpan.FromSeconds(0.9)));
        Assert.That(points[1].At - points[0].At, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(0.9)));
    }

    [Test]
    public async Task Collect_NoOffset_SecondsCountFromZeroAWholeSecondApart()
    {
        var source = new RecordingSource(intervals: 1);
        var collector = new StatsCollector([source]);

        collector.Start();
        await source.Collected.WaitAsync(Bound);
        await collector.StopAsync();

        var points = source.Points.ToArray();
        Assert.That(points.Select(p => p.Second), Is.EqualTo(new[] { 0, 1 }));
        Assert.That(points[0].At, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(0.99)));
    }

    /// <summary>Notes each interval's number and when it was closed; completes once it has seen enough.</summary>
    private sealed class RecordingSource(int intervals) : IIntervalSource
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly TaskCompletionSource _collected = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<(int Second, TimeSpan At)> Points { get; } = [];

        public Task Collected => _collected.Task;

        public void ForgetBefore(int second)
        {
        }

        public void CollectInterval(int second)
        {
            Points.Add((second, _clock.Elapsed));
            if (Points.Count == intervals)
            {
                _collected.SetResult();
            }
        }
    }
}
