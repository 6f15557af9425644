using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using LoadKit.TestTargets;

namespace LoadKit.Bench;

/// <summary>
/// Whether a run's cost per second stays flat however long it runs: a local etcd, N worker processes and this
/// controller run <see cref="LongRunLoad.Scenario"/> (5 steps at a fixed rate) for the given minutes. Every second it
/// samples the controller's and each worker's CPU time and resident set (/proc), and compares an early window (minutes
/// 5–10 of 60: the 1/12 to 1/6 of the run) with the last twelfth (the last 5 minutes of 60). Gen-2 collections per
/// minute come from the controller's runtime and the workers' health samples; bytes per snapshot from the workers' own
/// count, which each logs at the end of a run. Every 30 s a speed probe times a fixed piece of CPU work (the fastest of
/// 20 tries), because this virtual machine's speed drifts by more than the 10 % the windows are compared by: the
/// figures are given as measured and divided by the probe's change, and per 5 minutes in a series.
/// </summary>
internal static partial class LongRunMode
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public static async Task<int> RunAsync(BenchArgs args)
    {
        var workerCount = args.Int("--workers", 4);
        var rate = args.Number("--rate", 2000);
        var minutes = args.Number("--minutes", 60);
        args.ThrowIfUnread();
        if (minutes <= 0)
        {
            throw new ArgumentException($"--minutes = {minutes}: must be more than 0.");
        }

        var duration = TimeSpan.FromMinutes(minutes);
        Environment.SetEnvironmentVariable(LongRunLoad.SecondsVariable, duration.TotalSeconds.ToString(CultureInfo.InvariantCulture));
        Environment.SetEnvironmentVariable(LongRunLoad.RateVariable, rate.ToString(CultureInfo.InvariantCulture));
        Environment.SetEnvironmentVariable(LongRunLoad.WorkersVariable, workerCount.ToString(CultureInfo.InvariantCulture));
        var token = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        const string prefix = "bench-long";

        await using var etcd = await EtcdServer.StartAsync();
        await using var workers = LocalWorkers.Start(workerCount, etcd.Url, prefix, token, "bench/LoadKit.Bench");
        Console.WriteLine($"etcd on {etcd.Url} (PID {etcd.ProcessId}); workers PIDs {string.Join(", ", workers.ProcessIds)}; {rate}/s for {minutes} min");
        var options = new RunOptions
        {
            Target = new ClusterTarget(new ClusterOptions([new Uri(etcd.Url)], workerCount, token)
            {
                Prefix = prefix,
                WorkerWait = TimeSpan.FromSeconds(60),
                Forward = [LongRunLoad.SecondsVariable, LongRunLoad.RateVariable, LongRunLoad.WorkersVariable],
            }),
        };

        var pids = workers.ProcessIds;
        // Room for every second from the start (and the preparation before it), so the sampling itself does not grow the controller.
        var samples = new List<Sample>((int)duration.TotalSeconds + 600);
        var probes = new List<Probe>((int)(duration.TotalSeconds / 30) + 40);
        using var sampling = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var sampler = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            do
            {
                var sample = new Sample(
                    DateTimeOffset.UtcNow,
                    Read(Environment.ProcessId),
                    GC.CollectionCount(2),
                    [.. pids.Select(Read)]);
                lock (samples)
                {
                    samples.Add(sample);
                    if (samples.Count % 30 == 1)
                    {
                        probes.Add(new Probe(sample.At, ProbeMicroseconds()));
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(sampling.Token).ConfigureAwait(false));
        });

        var result = await LoadRunner.RunAsync([LongRunLoad.Scenario], options);
        await sampling.CancelAsync();
        await sampler.ContinueWith(_ => { }, TaskScheduler.Default);
        Console.WriteLine(SummaryTable.Render(result));

        // Windows of the load, from the workers' start: early = 1/12 to 1/6 of it, late = its last twelfth.
        var started = result.Workers.Select(w => w.StartedAt).OfType<DateTimeOffset>().DefaultIfEmpty(result.StartedAt).Min();
        var early = (From: started + (duration / 12), To: started + (duration / 6));
        var late = (From: started + duration - (duration / 12), To: started + duration);
        Sample[] In((DateTimeOffset From, DateTimeOffset To) window) => [.. samples.Where(s => s.At >= window.From && s.At <= window.To)];
        var figures = new Figures()
            .Add("tool", "loadkit")
            .Add("mode", "longrun")
            .Add("workers", workerCount)
            .Add("rate", rate)
            .Add("minutes", minutes)
            .Add("window_early_s", $"{(early.From - started).TotalSeconds:0}-{(early.To - started).TotalSeconds:0}")
            .Add("window_late_s", $"{(late.From - started).TotalSeconds:0}-{(late.To - started).TotalSeconds:0}");
        var (probeEarly, probeLate) = (ProbeMedian(probes, early.From, early.To), ProbeMedian(probes, late.From, late.To));
        figures.Add("probe_us_early", probeEarly).Add("probe_us_late", probeLate);
        foreach (var (name, window) in new[] { ("early", In(early)), ("late", In(late)) })
        {
            if (window.Length < 2)
            {
                throw new InvalidOperationException($"the {name} window holds {window.Length} samples: the run is too short to compare.");
            }

            var seconds = (window[^1].At - window[0].At).TotalSeconds;
            var cost = Cost(window);
            figures
                .Add($"controller_cpu_s_per_s_{name}", cost.ControllerCpu)
                .Add($"controller_rss_mib_{name}", cost.ControllerRss)
                .Add($"controller_gen2_per_min_{name}", (window[^1].ControllerGen2 - window[0].ControllerGen2) / seconds * 60)
                .Add($"worker_cpu_s_per_s_{name}", cost.WorkerCpu)
                .Add($"worker_rss_mib_{name}", cost.WorkerRss);
            if (name == "late")
            {
                // What the late window's CPU would be at the early window's speed.
                figures
                    .Add("controller_cpu_s_per_s_late_at_early_speed", cost.ControllerCpu * probeEarly / probeLate)
                    .Add("worker_cpu_s_per_s_late_at_early_speed", cost.WorkerCpu * probeEarly / probeLate);
            }

            var (from, to) = ((int)(window[0].At - started).TotalSeconds, (int)(window[^1].At - started).TotalSeconds);
            figures.Add($"worker_gen2_per_min_{name}",
                result.Generators.Average(g => g.Samples.Where(s => s.Second >= from && s.Second < to).Sum(s => (double)s.Gen2Collections)) / (to - from) * 60);
        }

        var run = result.Scenarios[0];
        var snapshotLines = workers.ForwardedLines.Select(l => SnapshotBytes().Match(l)).Where(m => m.Success).ToArray();
        figures
            .Add("iterations", run.Iterations.Completed)
            .Add("dropped", run.Dropped)
            .Add("workers_lost", result.Workers.Count(w => w.Lost is not null))
            .Add("snapshot_bytes_mean", snapshotLines.Select(m => double.Parse(m.Groups["mean"].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Average())
            .Add("snapshot_bytes_max", snapshotLines.Select(m => double.Parse(m.Groups["max"].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Max())
            .Add("load_s", clock.Elapsed.TotalSeconds)
            .AddProcess()
            .Print();
        PrintSeries(samples, probes, started);
        return result.Workers.All(w => w.Lost is null) ? 0 : 1;
    }

    /// <summary>Per 5 minutes of the load: the controller's and the workers' (mean) CPU per second, and the speed probe.</summary>
    private static void PrintSeries(List<Sample> samples, List<Probe> probes, DateTimeOffset started)
    {
        var block = TimeSpan.FromMinutes(5);
        for (var from = started; from < samples[^1].At; from += block)
        {
            var to = from + block;
            var window = samples.Where(s => s.At >= from && s.At <= to).ToArray();
            if (window.Length < 2)
            {
                continue;
            }

            var cost = Cost(window);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"SERIES minute={(from - started).TotalMinutes:0} controller_cpu_s_per_s={cost.ControllerCpu:0.0000} worker_cpu_s_per_s={cost.WorkerCpu:0.0000} " +
                $"controller_rss_mib={cost.ControllerRss:0.0} probe_us={ProbeMedian(probes, from, to):0.0}"));
        }
    }

    /// <summary>A window's CPU per second (the controller's; the workers' mean) and resident set (the same).</summary>
    private static WindowCost Cost(Sample[] window)
    {
        var seconds = (window[^1].At - window[0].At).TotalSeconds;
        return new WindowCost(
            (window[^1].Controller.CpuSeconds - window[0].Controller.CpuSeconds) / seconds,
            window.Average(s => s.Controller.RssMiB),
            Enumerable.Range(0, window[0].Workers.Length).Average(i => (window[^1].Workers[i].CpuSeconds - window[0].Workers[i].CpuSeconds) / seconds),
            window.Average(s => s.Workers.Average(w => w.RssMiB)));
    }

    /// <summary>The median of the speed probes from <paramref name="from"/> to <paramref name="to"/>; NaN when none fell there.</summary>
    private static double ProbeMedian(List<Probe> probes, DateTimeOffset from, DateTimeOffset to)
    {
        var values = probes.Where(p => p.At >= from && p.At <= to).Select(p => p.Microseconds).Order().ToArray();
        return values.Length == 0 ? double.NaN
            : values.Length % 2 == 1 ? values[values.Length / 2]
            : (values[(values.Length / 2) - 1] + values[values.Length / 2]) / 2;
    }

    /// <summary>The fastest of 20 runs of a fixed piece of CPU work (a hash over 256 KiB), in microseconds.</summary>
    private static double ProbeMicroseconds()
    {
        var best = double.MaxValue;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var start = Stopwatch.GetTimestamp();
            var hash = 2166136261u;
            for (var i = 0; i < 256 * 1024; i++)
            {
                hash = (hash ^ (uint)(i & 0xFF)) * 16777619u;
            }

            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            ProbeSink = hash;
        }

        return best;
    }

    /// <summary>Keeps the probe's result alive, so its loop is not optimised away.</summary>
    private static uint ProbeSink { get; set; }

    /// <summary>A process's CPU time (user + system) and resident set, from /proc.</summary>
    private static Usage Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var cpu = (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
            var rss = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return new Usage(cpu, long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0);
        }
        catch (IOException)
        {
            return new Usage(0, 0); // the process has ended
        }
    }

    [GeneratedRegex(@"snapshots of (?<mean>[0-9.]+) bytes on average \(largest (?<max>[0-9]+)\)")]
    private static partial Regex SnapshotBytes();

    private readonly record struct Usage(double CpuSeconds, double RssMiB);

    private readonly record struct Sample(DateTimeOffset At, Usage Controller, int ControllerGen2, Usage[] Workers);

    private readonly record struct Probe(DateTimeOffset At, double Microseconds);

    private readonly record struct WindowCost(double ControllerCpu, double ControllerRss, double WorkerCpu, double WorkerRss);
}

/// <summary>The scenario the workers run: <see cref="FanInLoad"/>'s 5 steps, rate and duration from the controller's forwarded variables.</summary>
public static class LongRunLoad
{
    public const string SecondsVariable = "LOADKIT_BENCH_LONG_SECONDS";
    public const string RateVariable = "LOADKIT_BENCH_LONG_RATE";
    public const string WorkersVariable = "LOADKIT_BENCH_LONG_WORKERS";

    /// <summary>Called by the controller and by every worker.</summary>
    public static Scenario Scenario() => FanInLoad.Scenario(Read(RateVariable), TimeSpan.FromSeconds(Read(SecondsVariable)), (int)Read(WorkersVariable));

    private static double Read(string name) =>
        double.Parse(Environment.GetEnvironmentVariable(name) ?? throw new InvalidOperationException($"{name} is not set."), CultureInfo.InvariantCulture);
}
