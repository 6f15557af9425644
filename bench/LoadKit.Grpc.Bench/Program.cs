// LoadKit.Grpc.Bench: the client CPU of a unary gRPC call, made by a raw Grpc.Net.Client loop and by a LoadKit gRPC
// step, in the same run against the same server (a child process of this one, so its CPU is not counted).
//
//   compare [--concurrency 50] [--seconds 5] [--rounds 3] [--channels shared|per-user] [--margin 1] [--warm-up 3] [--verbose]
//   serve   (the server: Kestrel h2c on 127.0.0.1, a free port, printed as "PORT n")
//
// Rounds run both, raw first in odd rounds and the step first in even ones, after a warm-up of each; the last line is
// "BENCH raw_cpu_us_per_call=... step_cpu_us_per_call=... ratio_of_medians=... median_ratio=... ratio_min=... ratio_max=...
// extra_bytes_per_call=... code_step_cpu_us_per_call=..." (medians over the rounds). CPU is this process's (user + system),
// the server's excluded, over each run's middle --seconds (each runs --margin seconds longer at either end), per call
// the server answered meanwhile. The code step (shared channels only) is a step written in code around the raw call: the
// engine's share of the step's cost, without LoadKit.Grpc.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using LoadKit;
using LoadKit.Grpc.Bench;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

if (args is ["serve", ..])
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.Services.AddGrpc();
    builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
    var app = builder.Build();
    app.MapGrpcService<EchoService>();
    await app.StartAsync();
    var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    Console.WriteLine($"PORT {new Uri(address).Port}");

    // "count" asks for the calls served so far; the end of stdin (the parent closed it) stops the server.
    while (await Console.In.ReadLineAsync() is { } command)
    {
        if (command == "count")
        {
            Console.WriteLine($"COUNT {EchoService.Calls}");
        }
    }

    await app.StopAsync();
    return 0;
}

if (args is not ["compare", ..])
{
    Console.Error.WriteLine("usage: LoadKit.Grpc.Bench compare [--concurrency 50] [--seconds 5] [--rounds 3] [--channels shared|per-user] [--margin 1] [--warm-up 3] [--verbose]");
    return 2;
}

int Option(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
var concurrency = Option("--concurrency", 50);
var seconds = Option("--seconds", 5);
var rounds = Option("--rounds", 3);
var perUser = Array.IndexOf(args, "--channels") is var c and >= 0 && args[c + 1] == "per-user";
var margin = TimeSpan.FromSeconds(Option("--margin", 1));
var verbose = args.Contains("--verbose");
var warmUp = TimeSpan.FromSeconds(Option("--warm-up", 3));

using var server = Process.Start(new ProcessStartInfo("dotnet", [typeof(EchoService).Assembly.Location, "serve"])
{
    RedirectStandardOutput = true,
    RedirectStandardInput = true,
})!;
try
{
    var line = await server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
    var target = new Uri($"http://127.0.0.1:{line!["PORT ".Length..]}");
    var request = new EchoRequest { Id = 1 };
    Console.WriteLine($"server pid {server.Id} at {target}; concurrency {concurrency}, {seconds} s per round, {rounds} rounds, channels {(perUser ? "per user" : "shared")}");

    // The raw loop: the generated client on Grpc.Net.Client's default channel, one per task or one for all.
    async Task<long> RawAsync(TimeSpan duration)
    {
        var shared = perUser ? null : GrpcChannel.ForAddress(target);
        var channels = Enumerable.Range(0, concurrency).Select(_ => shared ?? GrpcChannel.ForAddress(target)).ToArray();
        var clock = Stopwatch.StartNew();
        var counts = await Task.WhenAll(channels.Select(async channel =>
        {
            var client = new Echo.EchoClient(channel);
            long calls = 0;
            while (clock.Elapsed < duration)
            {
                await client.GetAsync(request);
                calls++;
            }

            return calls;
        }));
        foreach (var channel in channels.Distinct())
        {
            channel.Dispose();
        }

        return counts.Sum();
    }

    // The step: the same call as a LoadKit gRPC step, the same number of VUs for the same time.
    async Task<long> StepAsync(TimeSpan duration)
    {
        var echo = GrpcSteps.Client(new GrpcSettings { Address = target, Channels = perUser ? GrpcChannels.PerUser : GrpcChannels.Shared },
            invoker => new Echo.EchoClient(invoker));
        var scenario = Scenario.Create("grpc")
            .Step("get", echo.Unary((client, _, options) => client.GetAsync(request, options)))
            .WithLoad(Load.ConstantUsers(concurrency, duration))
            .Build();
        var result = await LoadRunner.RunAsync(scenario);
        var step = result.GetStep("get");
        if (step.Failed + step.TimedOut > 0)
        {
            throw new InvalidOperationException($"the step failed {step.Failed + step.TimedOut} times: {string.Join("; ", step.Errors.Select(e => e.Message))}");
        }

        return step.Ok;
    }

    // The engine alone: a step written in code around the raw call (no LoadKit gRPC layer), on one shared channel.
    async Task<long> CodeStepAsync(TimeSpan duration)
    {
        using var channel = GrpcChannel.ForAddress(target);
        var client = new Echo.EchoClient(channel);
        var scenario = Scenario.Create("code")
            .Step("get", async ctx => await client.GetAsync(request, cancellationToken: ctx.CancellationToken))
            .WithLoad(Load.ConstantUsers(concurrency, duration))
            .Build();
        var result = await LoadRunner.RunAsync(scenario);
        return result.GetStep("get").Ok;
    }

    // The calls the server has answered so far (it counts them; asked over its stdin).
    async Task<long> ServedAsync()
    {
        await server.StandardInput.WriteLineAsync("count");
        await server.StandardInput.FlushAsync();
        var answer = await server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        return long.Parse(answer!["COUNT ".Length..], CultureInfo.InvariantCulture);
    }

    // CPU, allocation and calls over the middle of a run only (it runs a margin longer at each end): the fixed cost of
    // a run's start and end (creating VUs and statistics, the result) is not a cost per call, and would weigh more the
    // shorter the round.
    async Task<(double MicrosecondsPerCall, double BytesPerCall, long Calls)> MeasureAsync(Func<TimeSpan, Task<long>> run, TimeSpan duration, string name)
    {
        var process = Process.GetCurrentProcess();
        GC.Collect();
        var running = run(duration + 2 * margin);
        await Task.Delay(margin);
        process.Refresh();
        var (cpu, allocated, served) = (process.TotalProcessorTime, GC.GetTotalAllocatedBytes(precise: false), await ServedAsync());
        var (gen0, gen1, gen2, paused, threads) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), ThreadPool.CompletedWorkItemCount);
        var (jitted, jitTime, contention) = (System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime(), Monitor.LockContentionCount);
        await Task.Delay(duration);
        process.Refresh();
        var (used, bytes, calls) = (process.TotalProcessorTime - cpu, GC.GetTotalAllocatedBytes(precise: false) - allocated, await ServedAsync() - served);
        if (verbose)
        {
            // Where a run's CPU may go besides the calls: collections, their pauses, thread-pool work items, the JIT, lock contention.
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name}: {calls} calls, {bytes / (double)calls:F0} B per call; gen0 {GC.CollectionCount(0) - gen0}, gen1 {GC.CollectionCount(1) - gen1}, gen2 {GC.CollectionCount(2) - gen2} collections; paused {(GC.GetTotalPauseDuration() - paused).TotalMilliseconds:F0} ms; {(ThreadPool.CompletedWorkItemCount - threads) / (double)calls:F2} work items per call; {System.Runtime.JitInfo.GetCompiledMethodCount() - jitted} methods jitted in {(System.Runtime.JitInfo.GetCompilationTime() - jitTime).TotalMilliseconds:F0} ms; {Monitor.LockContentionCount - contention} lock contentions"));
        }

        await running;
        return (used.TotalMicroseconds / calls, bytes / (double)calls, calls);
    }

    // Each kind runs --warm-up seconds first, so that the JIT's tier-ups of its hot code are done before round 1.
    await RawAsync(warmUp);
    await StepAsync(warmUp);
    await CodeStepAsync(warmUp);
    var raw = new List<double>();
    var step = new List<double>();
    var ratios = new List<double>();
    var codes = new List<double>();
    var bytes = new List<double>();
    var round = TimeSpan.FromSeconds(seconds);
    for (var r = 1; r <= rounds; r++)
    {
        // Odd rounds run the raw loop first, even rounds the step: neither always follows the other.
        var (a, b) = r % 2 == 1
            ? (await MeasureAsync(RawAsync, round, "raw"), await MeasureAsync(StepAsync, round, "step"))
            : await Reversed(await MeasureAsync(StepAsync, round, "step"));
        var code = perUser ? default : await MeasureAsync(CodeStepAsync, round, "code step");
        codes.Add(code.MicrosecondsPerCall);
        raw.Add(a.MicrosecondsPerCall);
        step.Add(b.MicrosecondsPerCall);
        ratios.Add(b.MicrosecondsPerCall / a.MicrosecondsPerCall);
        bytes.Add(b.BytesPerCall - a.BytesPerCall);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"round {r}: raw {a.Calls} calls, {a.MicrosecondsPerCall:F1} CPU-µs and {a.BytesPerCall:F0} B per call; step {b.Calls} calls, {b.MicrosecondsPerCall:F1} CPU-µs and {b.BytesPerCall:F0} B per call; ratio {b.MicrosecondsPerCall / a.MicrosecondsPerCall:F3}; code step {code.Calls} calls, {code.MicrosecondsPerCall:F1} CPU-µs per call"));
    }

    async Task<((double MicrosecondsPerCall, double BytesPerCall, long Calls), (double MicrosecondsPerCall, double BytesPerCall, long Calls))> Reversed(
        (double MicrosecondsPerCall, double BytesPerCall, long Calls) stepFirst) => (await MeasureAsync(RawAsync, round, "raw"), stepFirst);

    static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"BENCH raw_cpu_us_per_call={Median(raw):F1} step_cpu_us_per_call={Median(step):F1} ratio_of_medians={Median(step) / Median(raw):F3} median_ratio={Median(ratios):F3} ratio_min={ratios.Min():F3} ratio_max={ratios.Max():F3} extra_bytes_per_call={Median(bytes):F0} code_step_cpu_us_per_call={Median(codes):F1}"));
    return 0;
}
finally
{
    server.StandardInput.Close();
    if (!server.WaitForExit(10_000))
    {
        server.Kill();
    }
}

namespace LoadKit.Grpc.Bench
{
    internal sealed class EchoService : Echo.EchoBase
    {
        private static readonly Task<EchoReply> Reply = Task.FromResult(new EchoReply { Id = 1, Text = "ok" });
        private static long _calls;

        public static long Calls => Interlocked.Read(ref _calls);

        public override Task<EchoReply> Get(EchoRequest request, ServerCallContext context)
        {
            Interlocked.Increment(ref _calls);
            return Reply;
        }
    }
}
