using System.Diagnostics;
using System.Globalization;
using LoadKit.TestTargets;

namespace LoadKit.Bench;

/// <summary>
/// Distributed start: a local etcd and N worker processes (as samples/Distributed starts them). First, twice (the
/// workers fresh, then warm), one VU per worker for 1 s against an <see cref="ArrivalRecorder"/>: how far apart the
/// workers' first calls began (as the controller reports it) and their first requests reached the target. Then
/// <see cref="SkewLoad.Scenario"/>: the start skew the controller measured and the controller's CPU while it followed
/// and merged the workers' snapshots. The workers share this machine's clock, so the offsets the controller estimated
/// for them are their estimation error: their spread bounds what the reported skew cannot see.
/// </summary>
internal static class SkewMode
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var workerCount = args.Int("--workers", 2);
        var duration = args.Seconds("--duration", 5);
        var rate = args.Number("--rate", 1000);
        args.ThrowIfUnread();

        // The workers call the same factory; it reads these, which the controller forwards.
        Environment.SetEnvironmentVariable(SkewLoad.SecondsVariable, duration.TotalSeconds.ToString(CultureInfo.InvariantCulture));
        Environment.SetEnvironmentVariable(SkewLoad.RateVariable, rate.ToString(CultureInfo.InvariantCulture));
        Environment.SetEnvironmentVariable(SkewLoad.WorkersVariable, workerCount.ToString(CultureInfo.InvariantCulture));
        var token = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        const string prefix = "bench";

        await using var etcd = await EtcdServer.StartAsync();
        await using var workers = LocalWorkers.Start(workerCount, etcd.Url, prefix, token, "bench/LoadKit.Bench");
        Console.WriteLine($"etcd on {etcd.Url} (PID {etcd.ProcessId}); workers PIDs {string.Join(", ", workers.ProcessIds)}");

        using var recorder = await ArrivalRecorder.StartAsync();
        Environment.SetEnvironmentVariable(SkewLoad.TargetVariable, recorder.Address.ToString());
        var options = new RunOptions
        {
            Target = new ClusterTarget(new ClusterOptions([new Uri(etcd.Url)], workerCount, token)
            {
                Prefix = prefix,
                WorkerWait = TimeSpan.FromSeconds(60),
                Forward = [SkewLoad.SecondsVariable, SkewLoad.RateVariable, SkewLoad.WorkersVariable, SkewLoad.TargetVariable],
            }),
        };

        var arrivals = new Figures();
        foreach (var workersAre in new[] { "fresh", "warm" })
        {
            recorder.Reset();
            var first = await LoadRunner.RunAsync([SkewLoad.FirstArrivals], options);
            var (spread, clients) = recorder.Spread();
            Console.WriteLine($"First arrivals, workers {workersAre}: start skew {first.StartSkew?.TotalMicroseconds:0} µs, first calls " +
                $"{first.FirstCallSpread?.TotalMicroseconds:0} µs apart, at the target {spread.TotalMicroseconds:0} µs apart ({clients} of {workerCount} workers seen)");
            arrivals
                .Add($"first_call_spread_{workersAre}_us", first.FirstCallSpread is { } calls ? calls.TotalMicroseconds : -1)
                .Add($"target_spread_{workersAre}_us", clients == workerCount ? spread.TotalMicroseconds : -1);
        }

        // The controller's CPU, sampled with the wall clock, so the part spent while the load ran can be cut out.
        using var self = Process.GetCurrentProcess();
        var samples = new List<(DateTimeOffset At, TimeSpan Cpu)>();
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
            do
            {
                self.Refresh();
                lock (samples)
                {
                    samples.Add((DateTimeOffset.UtcNow, self.TotalProcessorTime));
                }
            }
            while (await timer.WaitForNextTickAsync(sampling.Token).ConfigureAwait(false));
        });

        var result = await LoadRunner.RunAsync([SkewLoad.Scenario], options);
        var endedAt = DateTimeOffset.UtcNow;
        self.Refresh();
        var cpuAtEnd = self.TotalProcessorTime;
        await sampling.CancelAsync();
        await sampler.ContinueWith(_ => { }, TaskScheduler.Default);
        Console.WriteLine(SummaryTable.Render(result));

        var started = result.Workers.Select(w => w.StartedAt).OfType<DateTimeOffset>().DefaultIfEmpty(result.StartedAt).Min();
        var cpuAtStart = samples.LastOrDefault(s => s.At <= started, samples[0]).Cpu;
        var following = cpuAtEnd - cpuAtStart;
        var seconds = (endedAt - started).TotalSeconds;
        var run = result.Scenarios[0];
        arrivals
            .Add("tool", "loadkit")
            .Add("mode", "skew")
            .Add("workers", workerCount)
            .Add("workers_finished", result.Workers.Count(w => w.Lost is null && w.StartedAt is not null))
            .Add("start_skew_us", result.StartSkew is { } skew ? skew.TotalMicroseconds : -1)
            .Add("offset_spread_us", result.Workers.Count == 0 ? 0 : (result.Workers.Max(w => w.ClockOffset) - result.Workers.Min(w => w.ClockOffset)).TotalMicroseconds)
            .Add("offset_max_abs_us", result.Workers.Select(w => Math.Abs(w.ClockOffset.TotalMicroseconds)).DefaultIfEmpty().Max())
            .Add("iterations", run.Iterations.Completed)
            .Add("dropped", run.Dropped)
            .Add("controller_cpu_s_during_load", following.TotalSeconds)
            .Add("controller_cpu_ms_per_s", following.TotalMilliseconds / seconds)
            .Add("load_s", seconds)
            .AddProcess()
            .Print();
        return result.Workers.Count == workerCount && result.Workers.All(w => w.Lost is null) ? 0 : 1;
    }
}

/// <summary>The scenario the workers run: an empty step at a fixed arrival rate, split across the workers.</summary>
public static class SkewLoad
{
    public const string SecondsVariable = "LOADKIT_BENCH_SKEW_SECONDS";
    public const string RateVariable = "LOADKIT_BENCH_SKEW_RATE";
    public const string WorkersVariable = "LOADKIT_BENCH_SKEW_WORKERS";
    public const string TargetVariable = "LOADKIT_BENCH_SKEW_TARGET";

    /// <summary>Called by the controller and by every worker.</summary>
    public static Scenario Scenario()
    {
        var seconds = Read(SecondsVariable);
        var rate = Read(RateVariable);
        var workers = (int)Read(WorkersVariable);
        return LoadKit.Scenario.Create("skew")
            .Step("empty", _ => ValueTask.CompletedTask)
            .WithLoad(Load.ArrivalRate(rate, TimeSpan.FromSeconds(seconds), preAllocatedUsers: 4 * workers, maxUsers: 16 * workers))
            .WithGracefulStop(TimeSpan.FromSeconds(2))
            .Build();
    }

    /// <summary>One VU per worker for 1 s: a GET naming this process to the recorder, then 100 ms of think time.</summary>
    public static Scenario FirstArrivals() => LoadKit.Scenario.Create("first arrivals")
        .WithHttp(new HttpSettings { BaseAddress = new Uri(Environment.GetEnvironmentVariable(TargetVariable) ?? throw new InvalidOperationException($"{TargetVariable} is not set.")) })
        .Step("get", Http.Get("/").WithHeader(ArrivalRecorder.ClientHeader, Environment.ProcessId.ToString(CultureInfo.InvariantCulture)))
        .ThinkTime(TimeSpan.FromMilliseconds(100))
        .WithLoad(Load.ConstantUsers((int)Read(WorkersVariable), TimeSpan.FromSeconds(1)))
        .Build();

    private static double Read(string name) =>
        double.Parse(Environment.GetEnvironmentVariable(name) ?? throw new InvalidOperationException($"{name} is not set."), CultureInfo.InvariantCulture);
}
