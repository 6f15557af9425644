namespace LoadKit.Bench;

/// <summary>
/// GETs one URL, as a user would write it: maximum throughput with a fixed number of VUs (each keeps one keep-alive
/// connection), or a fixed arrival rate (an open model; a pool of VUs sharing at most --connections connections).
/// An optional warm-up runs the same load first and is reported apart.
/// </summary>
internal static class HttpMode
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var url = new Uri(args.Text("--url"), UriKind.Absolute);
        var connections = args.Int("--connections", 50);
        var duration = args.Seconds("--duration", 10);
        var rate = args.Number("--rate", 0);
        // At a fixed rate VUs are cheap and connections are what peers are compared on: the VUs share one pool of
        // at most --connections connections, and the VU pool may grow well past it, so that a stall (a busy machine,
        // the first requests' JIT and connects) queues requests on the connections instead of dropping iterations.
        var maxUsers = args.Int("--max-users", rate > 0 ? 10 * connections : connections);
        var warmUp = args.Number("--warm-up", 0);
        var engineName = args.Text("--engine", "httpclient");
        bool? socketThread = args.Text("--socket-thread", "no") switch
        {
            "yes" => true,
            "no" => false,
            "auto" => null,
            var other => throw new ArgumentException($"--socket-thread is '{other}'; allowed: no (the default), yes or auto (HttpSettings.ResponsesOnSocketThread true, false or null: LoadKit decides; LoadKit's engine only)."),
        };
        var sampleAllocations = args.Text("--allocations", "no") switch
        {
            "yes" => true,
            "no" => false,
            var other => throw new ArgumentException($"--allocations is '{other}'; allowed: no (the default) or yes (print the types the runtime's allocation samples name)."),
        };
        var trusted = args.Text("--trust", "") is { Length: > 0 } trust
            ? System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(trust)
            : null;
        args.ThrowIfUnread();
        var engine = engineName switch
        {
            "httpclient" => HttpEngine.HttpClient,
            "loadkit" => HttpEngine.LoadKit,
            _ => throw new ArgumentException($"--engine is '{engineName}'; allowed: httpclient (the default) or loadkit (LoadKit's own HTTP/1.1 engine)."),
        };

        var load = rate > 0
            ? Load.ArrivalRate(rate, duration, preAllocatedUsers: Math.Min(connections, maxUsers), maxUsers: maxUsers)
            : Load.ConstantUsers(connections, duration);
        var builder = Scenario.Create("http");
        if (warmUp > 0)
        {
            // Measured apart from the load (JIT, connections opened); off by default, as the peers have none.
            builder.WithWarmUp(rate > 0
                ? Load.ArrivalRate(rate, TimeSpan.FromSeconds(warmUp), preAllocatedUsers: Math.Min(connections, maxUsers), maxUsers: maxUsers)
                : Load.ConstantUsers(connections, TimeSpan.FromSeconds(warmUp)));
        }

        var scenario = builder
            .WithHttp(new HttpSettings
            {
                BaseAddress = new Uri(url.GetLeftPart(UriPartial.Authority)),
                Connections = rate > 0 ? HttpConnections.Shared : HttpConnections.PerUser,
                MaxConnectionsPerServer = rate > 0 ? connections : int.MaxValue,
                Engine = engine,
                TrustedCertificate = trusted,
                ResponsesOnSocketThread = socketThread,
            })
            .Step("get", Http.Get(url.PathAndQuery), timeout: TimeSpan.FromSeconds(10))
            .WithLoad(load)
            .WithGracefulStop(TimeSpan.FromSeconds(5))
            .Build();

        Console.WriteLine($"Running {scenario} against {url} ...");
        using var sampler = sampleAllocations ? new AllocationSampler() : null;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var result = await LoadRunner.RunAsync(scenario);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var run = result.Scenarios[0];
        var get = run.GetStep("get");
        foreach (var (type, samples) in sampler?.Samples.Take(15) ?? [])
        {
            Console.WriteLine($"allocation samples (about one per 100 KB): {samples,5} {type}");
        }

        if (run.Dropped > 0)
        {
            Console.WriteLine($"dropped per second: {string.Join(", ", run.Timeline.Select(p => $"{p.Second}s: {p.Dropped}"))}");
        }

        foreach (var error in get.Errors.Take(5))
        {
            Console.WriteLine($"error x{error.Count}: {error.Message}");
        }

        new Figures()
            .Add("tool", socketThread switch { true => "loadkit_socket", null => "loadkit_auto", false => engine == HttpEngine.LoadKit ? "loadkit_engine" : "loadkit" })
            .Add("mode", rate > 0 ? "rate" : "max")
            .Add("requests", get.Completed)
            .Add("errors", get.Failed + get.TimedOut)
            .Add("duration_s", run.Duration.TotalSeconds)
            .Add("rps", get.RequestsPerSecond)
            .AddMilliseconds("p50_ms", get.Latency.P50)
            .AddMilliseconds("p95_ms", get.Latency.P95)
            .AddMilliseconds("p99_ms", get.Latency.P99)
            .AddMilliseconds("scheduled_p99_ms", get.ScheduledLatency.P99)
            .AddMilliseconds("lag_p99_ms", run.SchedulingLag.P99)
            .Add("dropped", run.Dropped)
            .Add("peak_users", run.PeakUsers)
            .Add("allocated_b_per_request", get.Completed > 0 ? allocated / (double)get.Completed : 0)
            .AddProcess()
            .Print();
        return 0;
    }
}
