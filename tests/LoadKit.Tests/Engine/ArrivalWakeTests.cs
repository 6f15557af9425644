using System.Diagnostics;
using LoadKit.Engine;

namespace LoadKit.Tests.Engine;

/// <summary>
/// When the arrival scheduler wakes: at a start's own instant when none is due soon after it (not on a 1 ms sleep
/// step), and once for several starts due close together (not once per start).
/// </summary>
public class ArrivalWakeTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Test]
    public void Until_WaitsToTheTimestampAndNotMuchLonger()
    {
        Assert.That(PreciseWait.Exact, Is.EqualTo(OperatingSystem.IsLinux() && Environment.Is64BitProcess), "clock_nanosleep on Stopwatch's clock");
        var past = Stopwatch.GetTimestamp();
        PreciseWait.Until(past - Stopwatch.Frequency);

        var wait = Stopwatch.Frequency * 300 / 1_000_000; // 300 µs
        var late = new double[100];
        for (var i = 0; i < late.Length; i++)
        {
            var until = Stopwatch.GetTimestamp() + wait;
            PreciseWait.Until(until);
            var woke = Stopwatch.GetTimestamp();
            Assert.That(woke, Is.GreaterThanOrEqualTo(until), $"wait {i} returned early");
            late[i] = (woke - until) * 1e6 / Stopwatch.Frequency;
        }

        Array.Sort(late);
        TestContext.Out.WriteLine($"late by µs: median {late[50]:0}, p90 {late[90]:0}, max {late[^1]:0}");
        // Thread.Sleep's whole milliseconds would make a 300 µs wait at least 700 µs late.
        Assert.That(late[50], Is.LessThan(350), "median µs late");
    }

    [Test]
    public async Task ArrivalRate_StartsFarApart_StartAtTheirOwnInstant()
    {
        var scenario = Scenario.Create("sparse")
            .Step("noop", _ => ValueTask.CompletedTask)
            .WithLoad(Load.ArrivalRate(50, TimeSpan.FromSeconds(2), preAllocatedUsers: 2, maxUsers: 10))
            .Build();

        var result = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetScenario("sparse");

        var lag = result.SchedulingLag;
        TestContext.Out.WriteLine($"lag p50 {lag.P50.TotalMilliseconds:0.000} ms, p90 {lag.P90.TotalMilliseconds:0.000} ms, max {lag.Max.TotalMilliseconds:0.000} ms");
        Assert.That(result.Iterations.Ok + result.Dropped, Is.EqualTo(100));
        // On 1 ms sleep steps a start waited half a step at the median (0.5 ms).
        Assert.That(lag.P50, Is.LessThan(TimeSpan.FromMilliseconds(0.35)));
    }

    [Test]
    public async Task ArrivalRate_StartsDueCloseTogether_ShareWakeUps()
    {
        const int starts = 5000; // 0.2 ms apart
        var startedAt = new long[starts];
        var next = -1;
        var scenario = Scenario.Create("dense")
            .Step("stamp", _ =>
            {
                var n = Interlocked.Increment(ref next);
                if (n < starts)
                {
                    startedAt[n] = Stopwatch.GetTimestamp();
                }

                return ValueTask.CompletedTask;
            })
            .WithLoad(Load.ArrivalRate(starts, TimeSpan.FromSeconds(1), preAllocatedUsers: 20, maxUsers: 100))
            .Build();

        var result = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetScenario("dense");

        Assert.That(result.Iterations.Ok, Is.EqualTo(starts));
        // A start less than 50 µs after the one before it came from the same wake-up (the schedule has them 200 µs apart).
        var together = Stopwatch.Frequency * 50 / 1_000_000;
        var wakeUps = 1 + startedAt.Zip(startedAt.Skip(1)).Count(pair => pair.Second - pair.First >= together);
        TestContext.Out.WriteLine($"{starts} starts in {wakeUps} bursts; lag p99 {result.SchedulingLag.P99.TotalMilliseconds:0.000} ms");
        Assert.That(wakeUps, Is.LessThan(starts / 2), "a wake-up per start");
    }
}
