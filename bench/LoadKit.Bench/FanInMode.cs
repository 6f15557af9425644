using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using LoadKit.Cluster.Protocol;
using LoadKit.Targets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LoadKit.Bench;

/// <summary>
/// Where one controller ends: N fake workers stream real incremental snapshots over gRPC on loopback to a
/// controller-side reader that does what the controller does with each (decode, add to the worker's totals and to the
/// run's live totals, publish the live figures of the current second when it moves on, as DistributedRunner does). The fake workers live in one
/// child process (<c>fanin-workers</c>), each behind its own gRPC call and HTTP/2 connection, so this process's CPU is
/// the controller's alone; each sends what one worker's share of a 5-step scenario measured (<see cref="FakeWorkers"/>).
/// </summary>
internal static class FanInMode
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var workers = args.Int("--workers", 16);
        var rate = args.Number("--rate", 2000);
        var duration = args.Seconds("--duration", 20);
        args.ThrowIfUnread();

        using var child = Process.Start(new ProcessStartInfo("dotnet",
        [
            typeof(FanInMode).Assembly.Location, "fanin-workers", "--workers", Text(workers), "--rate", Text(rate), "--duration", Text(duration.TotalSeconds),
        ])
        {
            RedirectStandardOutput = true,
        }) ?? throw new InvalidOperationException("the fake workers' process did not start.");
        try
        {
            var address = await ReadAddressAsync(child).WaitAsync(TimeSpan.FromMinutes(2));
            Console.WriteLine($"{workers} fake workers in process {child.Id} at {address}; {rate}/s in total for {duration.TotalSeconds} s");
            return await FollowAsync(address, workers, rate, duration);
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill();
            }

            await child.WaitForExitAsync();
        }
    }

    private static async Task<int> FollowAsync(Uri address, int workers, double rate, TimeSpan duration)
    {
        var channels = Enumerable.Range(0, workers).Select(_ => GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 256 * 1024 * 1024 })).ToArray();
        var calls = channels.Select(c => new Worker.WorkerClient(c).Run()).ToArray();
        var boundaries = LoadSegments.Equal(workers).Boundaries;
        for (var i = 0; i < workers; i++)
        {
            await calls[i].RequestStream.WriteAsync(new RunCommand { Prepare = new Prepare { RunId = "fan-in", SegmentIndex = i, SegmentBoundaries = { boundaries }, ProtocolVersion = ProtocolVersion.Current } });
        }

        foreach (var call in calls)
        {
            if (!await call.ResponseStream.MoveNext(CancellationToken.None) || call.ResponseStream.Current.UpdateCase != RunUpdate.UpdateOneofCase.Ready)
            {
                throw new InvalidOperationException("a fake worker ended before it was ready.");
            }
        }

        var startAt = DateTime.UtcNow + TimeSpan.FromSeconds(1);
        foreach (var call in calls)
        {
            await call.RequestStream.WriteAsync(new RunCommand { Start = new Start { StartAtWorkerUtcTicks = startAt.Ticks } });
        }

        var totals = Enumerable.Range(0, workers).Select(_ => new ShareTotals()).ToArray();
        var finished = new bool[workers];
        var live = new ShareTotals();
        var sizes = new List<(double Second, int Bytes)>();
        using var arrivals = new SemaphoreSlim(0);
        using var self = Process.GetCurrentProcess();
        var cpuSamples = new List<(double Second, double Cpu)>();
        var gen2AtStart = 0;
        var published = 0;
        double lastRate = 0;
        var rates = new List<(double Second, double Rate)>();

        using var done = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var publisher = Task.Run(async () =>
        {
            var (publishedSecond, publishedLive, publishedAt) = (-1, workers, 0L);
            try
            {
                while (true)
                {
                    await arrivals.WaitAsync(done.Token);
                    while (arrivals.Wait(0))
                    {
                    }

                    lock (live)
                    {
                        var alive = Enumerable.Range(0, workers).Where(i => !finished[i]).Select(i => totals[i].LastSecond).ToArray();
                        var second = alive.Length > 0 ? alive.Min() : live.LastSecond;

                        // As the controller publishes: when its second moves on or a worker ends, or 2 s after the last.
                        if (second == publishedSecond && alive.Length == publishedLive && Stopwatch.GetElapsedTime(publishedAt) < TimeSpan.FromSeconds(2))
                        {
                            continue;
                        }

                        (publishedSecond, publishedLive, publishedAt) = (second, alive.Length, Stopwatch.GetTimestamp());
                        var current = live.Current(second);

                        // What the progress view and the thresholds read: the current second's rate and p95, the totals' p95.
                        var points = current.SelectMany(s => s.Steps).Select(s => s.Timeline.Count > 0 && s.Timeline[^1].Second == second ? s.Timeline[^1] : null).OfType<TimelinePoint>().ToArray();
                        lastRate = points.Sum(p => p.Ok + p.Failed + p.TimedOut);
                        rates.Add((clock.Elapsed.TotalSeconds, lastRate));
                        _ = LatencyDistribution.Merge(points.Select(p => p.Latency)).P95;
                        _ = LatencyDistribution.Merge(current.SelectMany(s => s.Steps).Select(s => s.Latency)).P95;
                        published++;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        var sampler = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
            do
            {
                self.Refresh();
                lock (cpuSamples)
                {
                    cpuSamples.Add((clock.Elapsed.TotalSeconds, self.TotalProcessorTime.TotalSeconds));
                }
            }
            while (await timer.WaitForNextTickAsync(done.Token).ConfigureAwait(false));
        });
        gen2AtStart = GC.CollectionCount(2);

        await Task.WhenAll(calls.Select((call, i) => Task.Run(async () =>
        {
            long sequence = 0;
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                var update = call.ResponseStream.Current;
                if (update.UpdateCase != RunUpdate.UpdateOneofCase.Snapshot)
                {
                    continue;
                }

                if (update.Snapshot.Sequence != ++sequence)
                {
                    throw new InvalidOperationException($"worker {i}: snapshot {update.Snapshot.Sequence} after {sequence - 1}.");
                }

                var interval = SnapshotEncoding.FromMessage(update.Snapshot.Interval);
                lock (live)
                {
                    totals[i].Add(interval);
                    live.Add(interval, i);
                    finished[i] |= update.Snapshot.Final;
                    sizes.Add((clock.Elapsed.TotalSeconds, update.Snapshot.CalculateSize()));
                }

                arrivals.Release();
                if (update.Snapshot.Final)
                {
                    return;
                }
            }
        })));
        var loadSeconds = clock.Elapsed.TotalSeconds;
        var gen2 = GC.CollectionCount(2) - gen2AtStart;
        await done.CancelAsync();
        await Task.WhenAll(publisher, sampler.ContinueWith(_ => { }, TaskScheduler.Default));

        // The end: each worker's whole result from its totals, merged (once per run, in proportion to its length).
        var merging = Stopwatch.StartNew();
        var merged = ShareResults.Merge([.. totals.Select(t => t.ToResult())], new DateTimeOffset(startAt), DateTimeOffset.UtcNow, cancelled: false);
        merging.Stop();
        foreach (var call in calls)
        {
            call.Dispose();
        }

        foreach (var channel in channels)
        {
            channel.Dispose();
        }

        // CPU per second of load over the middle of the run (after the first 20 %, before the last 10 %: no start-up, no end).
        double CpuPerSecond(double from, double to)
        {
            lock (cpuSamples)
            {
                var a = cpuSamples.First(s => s.Second >= from);
                var b = cpuSamples.Last(s => s.Second <= to);
                return (b.Cpu - a.Cpu) / (b.Second - a.Second);
            }
        }

        var steady = sizes.Where(s => s.Second > loadSeconds * 0.2 && s.Second < loadSeconds * 0.9).Select(s => (double)s.Bytes).DefaultIfEmpty(0).ToArray();
        var firstHalf = sizes.Where(s => s.Second > loadSeconds * 0.2 && s.Second < loadSeconds * 0.55).Select(s => (double)s.Bytes).DefaultIfEmpty(0).Average();
        var secondHalf = sizes.Where(s => s.Second >= loadSeconds * 0.55 && s.Second < loadSeconds * 0.9).Select(s => (double)s.Bytes).DefaultIfEmpty(0).Average();
        var iterations = merged.Scenarios.Sum(s => s.Iterations.Completed);
        Console.WriteLine($"{iterations} iterations merged ({iterations / duration.TotalSeconds:0} a second, planned {rate}), {sizes.Count} snapshots, {published} live publications; last live rate {lastRate} calls/s");
        new Figures()
            .Add("tool", "loadkit")
            .Add("mode", "fanin")
            .Add("workers", workers)
            .Add("rate", rate)
            .Add("load_s", loadSeconds)
            .Add("iterations", iterations)
            .Add("snapshots", sizes.Count)
            .Add("live_calls_per_s_median", Median([.. rates.Where(r => r.Second > loadSeconds * 0.2 && r.Second < loadSeconds * 0.9).Select(r => r.Rate)]))
            .Add("controller_cpu_s_per_s", CpuPerSecond(loadSeconds * 0.2, loadSeconds * 0.9))
            .Add("controller_cpu_s_per_s_first_half", CpuPerSecond(loadSeconds * 0.2, loadSeconds * 0.55))
            .Add("controller_cpu_s_per_s_second_half", CpuPerSecond(loadSeconds * 0.55, loadSeconds * 0.9))
            .Add("snapshot_bytes_mean", steady.Average())
            .Add("snapshot_bytes_max", steady.Max())
            .Add("snapshot_bytes_mean_first_half", firstHalf)
            .Add("snapshot_bytes_mean_second_half", secondHalf)
            .Add("controller_gen2", gen2)
            .AddMilliseconds("final_merge_ms", merging.Elapsed)
            .AddProcess()
            .Print();
        return 0;
    }

    private static double Median(double[] values) => values.Length == 0 ? -1 : values.Order().ElementAt(values.Length / 2);

    /// <summary>The child: N fake workers behind one gRPC server on loopback, until the parent's calls end.</summary>
    public static async Task<int> RunWorkersAsync(BenchArgs args)
    {
        var workers = args.Int("--workers", 16);
        var rate = args.Number("--rate", 2000);
        var duration = args.Seconds("--duration", 20);
        args.ThrowIfUnread();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o => o.MaxSendMessageSize = 256 * 1024 * 1024);
        builder.Services.AddSingleton(new FakeWorkers(FanInLoad.Plan(rate, duration, workers), workers));
        var app = builder.Build();
        app.MapGrpcService<FakeWorkerService>();
        await app.StartAsync();
        Console.WriteLine($"listening on {app.Urls.First()}");
        await app.WaitForShutdownAsync();
        return 0;
    }

    private static async Task<Uri> ReadAddressAsync(Process child)
    {
        while (await child.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("listening on ", StringComparison.Ordinal))
            {
                return new Uri(line["listening on ".Length..]);
            }
        }

        throw new InvalidOperationException("the fake workers' process ended before it listened.");
    }

    private static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// What the fake workers send: one real <see cref="ShareRun"/> of segment 1 of N (one worker's share of the rate) runs in
/// this process, and its interval of each second, encoded once, goes to every fake worker's call. So each call carries
/// what one worker of N would send, and this process stays light enough to serve hundreds of calls.
/// </summary>
internal sealed class FakeWorkers(RunPlan plan, int count)
{
    private readonly List<System.Threading.Channels.Channel<(ShareInterval Interval, bool Final)>> _calls = [];
    private readonly Lock _lock = new();
    private Task? _running;

    public int Count => count;

    /// <summary>A call's stream of intervals; the share starts (once) at the first start instant given.</summary>
    public System.Threading.Channels.ChannelReader<(ShareInterval Interval, bool Final)> Join(DateTime startAt)
    {
        var channel = System.Threading.Channels.Channel.CreateUnbounded<(ShareInterval, bool)>();
        lock (_lock)
        {
            _calls.Add(channel);
            _running ??= Task.Run(() => RunAsync(startAt));
        }

        return channel.Reader;
    }

    private async Task RunAsync(DateTime startAt)
    {
        var run = new ShareRun(plan, LoadSegments.Equal(count), 0);
        await run.PrepareAsync();
        var wait = startAt - DateTime.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        var running = run.RunAsync(Stopwatch.GetTimestamp(), new DateTimeOffset(startAt));
        while (!running.IsCompleted)
        {
            await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(1)));
            if (!running.IsCompleted)
            {
                Send(SnapshotEncoding.ToMessage(run.TakeSnapshot().Result), final: false);
            }
        }

        Send(SnapshotEncoding.ToMessage(await running), final: true);
    }

    private void Send(ShareInterval interval, bool final)
    {
        lock (_lock)
        {
            foreach (var call in _calls)
            {
                call.Writer.TryWrite((interval, final));
                if (final)
                {
                    call.Writer.TryComplete();
                }
            }
        }
    }
}

/// <summary>One fake worker per call: Ready, Started, then the shared share's interval each second and the final one.</summary>
internal sealed class FakeWorkerService(FakeWorkers workers) : Worker.WorkerBase
{
    public override async Task Run(IAsyncStreamReader<RunCommand> requestStream, IServerStreamWriter<RunUpdate> responseStream, ServerCallContext context)
    {
        await requestStream.MoveNext();
        await responseStream.WriteAsync(new RunUpdate { Ready = new Ready { ProtocolVersion = ProtocolVersion.Current } });
        await requestStream.MoveNext();
        var startAt = new DateTime(requestStream.Current.Start.StartAtWorkerUtcTicks, DateTimeKind.Utc);
        var intervals = workers.Join(startAt);
        await responseStream.WriteAsync(new RunUpdate { Started = new Started { StartedWorkerUtcTicks = startAt.Ticks } });
        long sequence = 0;
        await foreach (var (interval, final) in intervals.ReadAllAsync(context.CancellationToken))
        {
            await responseStream.WriteAsync(new RunUpdate { Snapshot = new Snapshot { Sequence = ++sequence, Final = final, Interval = interval } });
        }
    }
}

/// <summary>
/// A 5-step scenario as a shop test has them: think-free steps of a few milliseconds (spread over a few hundred
/// histogram buckets), 1 % of payments failing with one of three messages, at a constant arrival rate.
/// </summary>
public static class FanInLoad
{
    public static RunPlan Plan(double rate, TimeSpan duration, int workers) => RunOptions.Default.Plan([Scenario(rate, duration, workers)]);

    public static Scenario Scenario(double rate, TimeSpan duration, int workers)
    {
        var users = Math.Max(2 * workers, (int)Math.Ceiling(rate * 0.1));
        return LoadKit.Scenario.Create("shop")
            .Step("home", ctx => Pause(1, 4, ctx))
            .Step("search", ctx => Pause(2, 12, ctx))
            .Step("product", ctx => Pause(1, 6, ctx))
            .Step("cart", ctx => Pause(1, 3, ctx))
            .Step("pay", async ctx =>
            {
                await Pause(3, 20, ctx);
                if (Random.Shared.Next(100) == 0)
                {
                    ctx.Fail($"payment declined ({Random.Shared.Next(3)})");
                }
            })
            .WithLoad(Load.ArrivalRate(rate, duration, preAllocatedUsers: users, maxUsers: 4 * users))
            .WithGracefulStop(TimeSpan.FromSeconds(2))
            .Build();
    }

    private static async ValueTask Pause(int fromMs, int toMs, StepContext ctx) =>
        await Task.Delay(TimeSpan.FromMilliseconds(fromMs + (Random.Shared.NextDouble() * (toMs - fromMs))), ctx.CancellationToken);
}
