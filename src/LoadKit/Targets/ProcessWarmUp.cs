using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LoadKit.Workload;

namespace LoadKit.Targets;

/// <summary>
/// Compiles LoadKit's own hot paths in this process once, before its first prepared run: a tiny run goes the way a
/// worker's share goes (prepared, then started at a given instant) through every executor and LoadKit's HTTP step
/// on both engines (headers, query, a JSON body, a check) against a responder on a loopback port of its own (no request reaches the
/// run's target). Without it a fresh worker's first requests waited tens of milliseconds for the JIT after the start
/// instant: each method met for the first time there cost its compilation. The scenario's own code (its steps) is
/// compiled on its first call, as is any HTTP client of its own.
/// </summary>
internal static class ProcessWarmUp
{
    private static readonly Lazy<Task> Once = new(RunAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Completes once the warm-up has run in this process (at once after the first time).</summary>
    public static Task EnsureAsync() => Once.Value;

    private static async Task RunAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = new CancellationTokenSource();
        var responding = RespondAsync(listener, stop.Token);
        try
        {
            var address = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");

            // Both HTTP engines, at once: a scenario of each.
            Scenario Warm(string name, HttpEngine engine) => Scenario.Create(name)
                .WithHttp(new HttpSettings { BaseAddress = address, Engine = engine })
                .Step("get", Http.Get("/").WithHeader("X-LoadKit-Warm-Up", "1").WithQuery("q", "1").Check(HttpCheck.StatusIs(200)))
                .ThinkTime(TimeSpan.FromMilliseconds(1))
                .Step("post", Http.Post("/").WithJson("{}").Check(HttpCheck.StatusIs(200)))
                .WithLoad(
                    Load.ConstantUsers(1, TimeSpan.FromMilliseconds(30)),
                    Load.ArrivalRate(200, TimeSpan.FromMilliseconds(30), preAllocatedUsers: 1, maxUsers: 2),
                    Load.IterationsPerUser(1, 5))
                .Build();
            Scenario[] scenarios = [Warm("loadkit process warm-up", HttpEngine.HttpClient), Warm("loadkit process warm-up (LoadKit's HTTP engine)", HttpEngine.LoadKit)];

            // Twice, as a worker's shares run (ShareRun: its start, observers and snapshots): the second time meets
            // what the first compiled.
            for (var round = 0; round < 2; round++)
            {
                var share = new ShareRun(RunPlan.Create(scenarios, LoadProfile.Full, 1, [], origin: null), LoadSegments.Equal(1), 0, observers: null, processWarmUp: true);
                await share.PrepareAsync().ConfigureAwait(false);
                await share.RunAsync(Stopwatch.GetTimestamp(), DateTimeOffset.UtcNow).ConfigureAwait(false);
                share.TakeSnapshot();
            }

            // The counts of gRPC and WebSocket steps (LoadKit.Grpc's warm-up records nothing), and the metrics a run
            // publishes (the warm-up publishes none: it would show as a scenario of its own).
            Compile(typeof(Stats.StepRecorder), typeof(Stats.GrpcCounts), typeof(Stats.WebSocketCounts));
            Compile(typeof(LoadKitMetrics), typeof(Telemetry.UserTracking), typeof(Telemetry.CpuTracking), typeof(Telemetry.StepTelemetry), typeof(Telemetry.ScenarioTelemetry));
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            listener.Stop();
            await responding.ConfigureAwait(false);
        }
    }

    /// <summary>Runs the static constructors of <paramref name="types"/> and compiles their methods, without calling them.</summary>
    private static void Compile(params Type[] types)
    {
        const System.Reflection.BindingFlags all = System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Static |
            System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.DeclaredOnly;
        foreach (var type in types)
        {
            System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(type.TypeHandle);
            foreach (var method in type.GetMethods(all).Cast<System.Reflection.MethodBase>().Concat(type.GetConstructors(all)))
            {
                if (!method.IsAbstract && !method.ContainsGenericParameters)
                {
                    System.Runtime.CompilerServices.RuntimeHelpers.PrepareMethod(method.MethodHandle);
                }
            }
        }
    }

    /// <summary>Answers every request on every connection with a fixed 200 until stopped.</summary>
    private static async Task RespondAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        var answer = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var client = await listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
                connections.Add(AnswerAsync(client));
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        await Task.WhenAll(connections).ConfigureAwait(false);

        async Task AnswerAsync(TcpClient client)
        {
            using var _ = client;
            var stream = client.GetStream();
            var buffer = new byte[4096];
            var seen = 0;
            try
            {
                int read;
                while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    // Requests without a body: each ends with an empty line.
                    for (var i = 0; i < read; i++)
                    {
                        seen = buffer[i] == (seen % 2 == 0 ? '\r' : '\n') ? seen + 1 : buffer[i] == '\r' ? 1 : 0;
                        if (seen == 4)
                        {
                            await stream.WriteAsync(answer, cancellationToken).ConfigureAwait(false);
                            seen = 0;
                        }
                    }
                }
            }
            catch (Exception exception) when (exception is OperationCanceledException or IOException or SocketException)
            {
                // The client went, or the warm-up ended.
            }
        }
    }
}
