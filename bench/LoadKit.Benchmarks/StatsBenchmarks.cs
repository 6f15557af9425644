using BenchmarkDotNet.Attributes;
using LoadKit.Engine;
using LoadKit.Results;
using LoadKit.Stats;

namespace LoadKit.Benchmarks;

/// <summary>
/// Statistics in a load process: recording one sample (the hot path, from any VU), closing a second's interval, and
/// the snapshot a worker streams each second.
/// </summary>
[MemoryDiagnoser]
public class StatsBenchmarks
{
    private StepRecorder _recorder = null!;
    private StepRecorder _intervals = null!;
    private ScenarioStats _stats = null!;
    private int _next;

    [GlobalSetup]
    public void Fill()
    {
        _recorder = new StepRecorder("record");
        _intervals = new StepRecorder("intervals");
        _stats = SampleData.Stats(seconds: 10, seed: 99);
    }

    [Benchmark(Description = "record one sample")]
    public void Record() => _recorder.Record(Outcome.Ok, SampleData.Latencies[_next++ & 4095]);

    [Benchmark(Description = "record HTTP status, bytes, time to headers")]
    public void RecordHttp() => _recorder.RecordHttp(200, 0, 1024, SampleData.Latencies[_next++ & 4095]);

    [Benchmark(OperationsPerInvoke = SampleData.SamplesPerSecond, Description = "1,000 samples, then the interval closed (per sample)")]
    public void RecordAndCloseInterval()
    {
        for (var i = 0; i < SampleData.SamplesPerSecond; i++)
        {
            _intervals.Record(Outcome.Ok, SampleData.Latencies[i]);
        }

        _intervals.CollectInterval(0);
    }

    [Benchmark(Description = "snapshot of a 3-step scenario (10 s of timeline)")]
    public ScenarioResult Snapshot() => _stats.ToResult("shop", DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(10), 1, 0, null);
}

/// <summary>The controller's exact merge of the workers' results, as at the end of a distributed run.</summary>
[MemoryDiagnoser]
public class MergeBenchmarks
{
    private ScenarioResult[] _parts = null!;
    private LatencyDistribution[] _distributions = null!;

    /// <summary>How many workers' results the controller merges.</summary>
    [Params(2, 16)]
    public int Workers { get; set; }

    [GlobalSetup]
    public void Fill()
    {
        _parts = [.. Enumerable.Range(0, Workers).Select(w => SampleData.Result(seconds: 10, seed: w))];
        _distributions = [.. _parts.Select(p => p.Steps[0].Latency)];
    }

    [Benchmark(Description = "merge the workers' results of a 3-step scenario (10 s of timeline)")]
    public ScenarioResult Merge() => ResultMerge.Merge(_parts);

    [Benchmark(Description = "merge the workers' latency distributions of one step")]
    public LatencyDistribution MergeDistributions() => LatencyDistribution.Merge(_distributions);
}

/// <summary>Recorders filled as a run would fill them.</summary>
internal static class SampleData
{
    public const int SamplesPerSecond = 1000;

    /// <summary>Latencies (µs) spread like a web service's: mostly 0.2–5 ms, a tail to about 1 s.</summary>
    public static readonly long[] Latencies = CreateLatencies();

    private static readonly Scenario Shop = Scenario.Create("shop")
        .Step("browse", _ => ValueTask.CompletedTask)
        .Step("cart", _ => ValueTask.CompletedTask)
        .Step("checkout", _ => ValueTask.CompletedTask)
        .WithLoad(Load.ConstantUsers(1, TimeSpan.FromSeconds(10)))
        .Build();

    public static ScenarioResult Result(int seconds, int seed) =>
        Stats(seconds, seed).ToResult(Shop.Name, DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(seconds), 1, 0, null);

    /// <summary>A 3-step scenario's recorders after <paramref name="seconds"/> seconds of 1,000 samples per step and second.</summary>
    public static ScenarioStats Stats(int seconds, int seed)
    {
        var stats = new ScenarioStats(Shop, new ActiveUsers(), isWarmUp: false);
        var random = new Random(seed);
        for (var second = 0; second < seconds; second++)
        {
            foreach (var step in stats.Steps)
            {
                for (var i = 0; i < SamplesPerSecond; i++)
                {
                    step.Record(Outcome.Ok, Latencies[random.Next(Latencies.Length)]);
                }
            }

            foreach (var source in stats.IntervalSources)
            {
                source.CollectInterval(second);
            }
        }

        return stats;
    }

    private static long[] CreateLatencies()
    {
        var random = new Random(7);
        var latencies = new long[4096];
        for (var i = 0; i < latencies.Length; i++)
        {
            latencies[i] = (long)Math.Exp(random.NextDouble() * random.NextDouble() * Math.Log(1_000_000)) + 200;
        }

        return latencies;
    }
}
