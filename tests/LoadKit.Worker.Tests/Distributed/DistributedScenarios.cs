using LoadKit.TestTargets;

namespace LoadKit.Worker.Tests.Distributed;

/// <summary>
/// Scenario factories the distributed tests run: the workers load this test assembly and call them by name. The
/// target's address comes from an environment variable the controller forwards.
/// </summary>
public static class DistributedScenarios
{
    public const string TargetVariable = "LOADKIT_TEST_TARGET";

    /// <summary>Where the first-arrival scenarios send their requests: an <see cref="ArrivalRecorder"/>.</summary>
    public const string RecorderVariable = "LOADKIT_TEST_RECORDER";

    // One client per worker process (per loaded copy of this assembly), as a real test would keep one.
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });

    /// <summary>3,000 arrivals a second for 10 seconds.</summary>
    public static Scenario Arrivals3000() => Arrivals("arrivals", 3000, TimeSpan.FromSeconds(10), maxUsers: 900);

    /// <summary>A short, light load for start-skew and setup tests.</summary>
    public static Scenario Short() => Arrivals("short", 100, TimeSpan.FromSeconds(2));

    /// <summary>600 arrivals a second for 12 seconds: long enough to lose a worker in the middle.</summary>
    public static Scenario Steady600() => Arrivals("steady", 600, TimeSpan.FromSeconds(12));

    /// <summary>
    /// One VU for 3 s, each iteration 1.4 s long, the last one ending about 4.2 s in: of two workers, one has the VU and
    /// a timeline second (4) that the other, with no VU in its segment, ends before.
    /// </summary>
    public static Scenario OneUser() => Scenario.Create("one user")
        .Step("get", async ctx =>
        {
            using var response = await Http.GetAsync(Target() + "/fast", ctx.CancellationToken);
            response.EnsureSuccessStatusCode();
            // Not cut short by the end of the load. The idle worker's timeline ends at second 2 or 3 (its last tick races its
            // stop at 3 s), so this one must reach second 4.
            await Task.Delay(1400, CancellationToken.None);
        })
        .WithLoad(Load.ConstantUsers(1, TimeSpan.FromSeconds(3)))
        .Build();

    /// <summary>
    /// One iteration of one VU, which a worker runs on its start thread: the step fails unless it runs at real-time
    /// priority (SCHED_FIFO, 1) and a thread it makes runs at the normal policy (SCHED_OTHER, 0).
    /// </summary>
    public static Scenario ThreadFromTheFirstIteration() => Scenario.Create("first iteration")
        .Step("make a thread", ctx =>
        {
            var own = Policy("/proc/thread-self/stat");
            var made = -1;
            var thread = new Thread(() => made = Policy("/proc/thread-self/stat"));
            thread.Start();
            thread.Join();
            if (own != 1 || made != 0)
            {
                ctx.Fail($"the first iteration ran with policy {own}, a thread it made with policy {made}");
            }

            return ValueTask.CompletedTask;
        })
        .WithLoad(Load.IterationsPerUser(1, 1))
        .Build();

    /// <summary>A thread's scheduling policy (0: SCHED_OTHER, 1: SCHED_FIFO): field 41 of its <c>stat</c> file in /proc.</summary>
    public static int Policy(string statPath)
    {
        var stat = File.ReadAllText(statPath);
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[38], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A short load through LoadKit's own HTTP step: this assembly then holds no client of its own.</summary>
    public static Scenario ShortHttp() => Scenario.Create("short http")
        .WithHttp(new HttpSettings { BaseAddress = new Uri(Target()) })
        .Step("get", LoadKit.Http.Get("/fast"))
        .WithLoad(Load.ArrivalRate(100, TimeSpan.FromSeconds(2), preAllocatedUsers: 30, maxUsers: 300))
        .Build();

    /// <summary>
    /// 200 arrivals a second for 20 s, of which 1 in 20 gets a 500, and a threshold that allows no failure and stops
    /// the run once 2 s have passed.
    /// </summary>
    public static Scenario StoppedByThreshold() => Scenario.Create("gated")
        .Step("get", async ctx =>
        {
            using var response = await Http.GetAsync(Target() + (ctx.Iteration % 20 == 0 ? "/fail" : "/fast"), ctx.CancellationToken);
            response.EnsureSuccessStatusCode();
        })
        .WithLoad(Load.ArrivalRate(200, TimeSpan.FromSeconds(20), preAllocatedUsers: 30, maxUsers: 300))
        .WithThresholds(
            Threshold.Step("get").FailureCount.AtMost(0).AbortOnFail(TimeSpan.FromSeconds(2)),
            Threshold.Step("get").Percentile(99.9).Below(TimeSpan.FromSeconds(5)))
        .Build();

    /// <summary>
    /// 150 arrivals a second for 2 s through LoadKit's own HTTP/1.1 engine to the <see cref="ArrivalRecorder"/> that
    /// <see cref="RecorderVariable"/> names; each request names this process in <see cref="ArrivalRecorder.ClientHeader"/>,
    /// so the recorder counts what each worker sent.
    /// </summary>
    public static Scenario LoadKitEngine() => Scenario.Create("loadkit engine")
        .WithHttp(new HttpSettings { BaseAddress = Recorder(), Engine = HttpEngine.LoadKit })
        .Step("get", LoadKit.Http.Get("/").WithHeader(ArrivalRecorder.ClientHeader, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        .WithLoad(Load.ArrivalRate(150, TimeSpan.FromSeconds(2), preAllocatedUsers: 10, maxUsers: 40))
        .Build();

    /// <summary>For 2 workers: one VU each, from the start.</summary>
    public static Scenario UserPerWorker2() => UserPerWorker(2);

    /// <summary>For 4 workers: one VU each, from the start.</summary>
    public static Scenario UserPerWorker4() => UserPerWorker(4);

    /// <summary>Not a scenario factory: it has a parameter.</summary>
    public static Scenario WithParameter(int rate) => Arrivals("p", rate, TimeSpan.FromSeconds(1));

    /// <summary>
    /// <paramref name="users"/> VUs for 1 s, each a GET through LoadKit's HTTP step to the <see cref="ArrivalRecorder"/>
    /// that <see cref="RecorderVariable"/> names, then 100 ms of think time; each request names this process in
    /// <see cref="ArrivalRecorder.ClientHeader"/>, so the recorder sees when each worker's load first reached it.
    /// </summary>
    private static Scenario UserPerWorker(int users) => Scenario.Create("first arrivals")
        .WithHttp(new HttpSettings { BaseAddress = Recorder() })
        .Step("get", LoadKit.Http.Get("/").WithHeader(ArrivalRecorder.ClientHeader, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        .ThinkTime(TimeSpan.FromMilliseconds(100))
        .WithLoad(Load.ConstantUsers(users, TimeSpan.FromSeconds(1)))
        .Build();

    private static Scenario Arrivals(string name, double rate, TimeSpan during, int maxUsers = 300) => Scenario.Create(name)
        .Step("get", async ctx =>
        {
            using var response = await Http.GetAsync(Target() + "/fast", ctx.CancellationToken);
            response.EnsureSuccessStatusCode();
        })
        .WithLoad(Load.ArrivalRate(rate, during, preAllocatedUsers: 30, maxUsers))
        .Build();

    private static Uri Recorder() =>
        new(Environment.GetEnvironmentVariable(RecorderVariable) ?? throw new InvalidOperationException($"{RecorderVariable} is not set."));

    private static string Target() =>
        Environment.GetEnvironmentVariable(TargetVariable)?.TrimEnd('/') ?? throw new InvalidOperationException($"{TargetVariable} is not set.");
}
