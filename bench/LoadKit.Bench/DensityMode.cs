using System.Diagnostics;

namespace LoadKit.Bench;

/// <summary>
/// VU density: N VUs that only think (an empty step, then a think time as long as the run), so what is measured is
/// what a VU costs to hold: memory (resident set and GC heap, sampled while they all think) and CPU.
/// </summary>
internal static class DensityMode
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var users = args.Int("--users", 10_000);
        var duration = args.Seconds("--duration", 10);
        var think = args.Seconds("--think", duration.TotalSeconds);
        args.ThrowIfUnread();

        var scenario = Scenario.Create("think")
            .Step("wake", _ => ValueTask.CompletedTask)
            .ThinkTime(think)
            .WithLoad(Load.ConstantUsers(users, duration))
            .WithGracefulStop(think + TimeSpan.FromSeconds(5))
            .Build();

        using var self = Process.GetCurrentProcess();
        GC.Collect();
        self.Refresh();
        var rssBefore = self.WorkingSet64;
        var cpuBefore = self.TotalProcessorTime;
        long peakRss = 0, peakHeap = 0, liveHeap = -1;
        var liveBefore = GC.GetTotalMemory(forceFullCollection: true);
        var settled = Stopwatch.GetTimestamp() + (long)(Math.Min(duration.TotalSeconds / 2, think.TotalSeconds / 2) * Stopwatch.Frequency);
        using var sampling = new CancellationTokenSource();

        // Sampled while the VUs think: their memory is held then, whatever the GC does after the run.
        var sampler = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
            while (await timer.WaitForNextTickAsync(sampling.Token).ConfigureAwait(false))
            {
                self.Refresh();
                peakRss = Math.Max(peakRss, self.WorkingSet64);
                peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(forceFullCollection: false));
                if (liveHeap < 0 && Stopwatch.GetTimestamp() >= settled)
                {
                    // Once, with every VU started and thinking: what they hold, without the garbage of their start.
                    liveHeap = GC.GetTotalMemory(forceFullCollection: true);
                }
            }
        });

        Console.WriteLine($"Running {scenario} ...");
        var result = await LoadRunner.RunAsync(scenario);
        await sampling.CancelAsync();
        await sampler.ContinueWith(_ => { }, TaskScheduler.Default);
        self.Refresh();
        var run = result.Scenarios[0];
        var cpu = self.TotalProcessorTime - cpuBefore;
        new Figures()
            .Add("tool", "loadkit")
            .Add("mode", "density")
            .Add("users", users)
            .Add("peak_users", run.PeakUsers)
            .Add("iterations", run.Iterations.Completed)
            .Add("duration_s", run.Duration.TotalSeconds)
            .Add("rss_before_mib", rssBefore / 1048576.0)
            .Add("rss_peak_mib", peakRss / 1048576.0)
            .Add("heap_peak_mib", peakHeap / 1048576.0)
            .Add("bytes_per_user", (peakRss - rssBefore) / (double)users)
            .Add("live_heap_mib", liveHeap / 1048576.0)
            .Add("live_heap_bytes_per_user", (liveHeap - liveBefore) / (double)users)
            .Add("run_cpu_s", cpu.TotalSeconds)
            .Add("run_cpu_ms_per_user_s", cpu.TotalMilliseconds / users / run.Duration.TotalSeconds)
            .AddProcess()
            .Print();
        return run.PeakUsers == users ? 0 : 1;
    }
}
