using LoadKit.TestTargets;

namespace LoadKit.Worker.Tests.Distributed;

/// <summary>A real etcd, real worker processes registered in it, and a target server: what a distributed test runs on.</summary>
internal sealed class Cluster : IAsyncDisposable
{
    private Cluster(EtcdServer etcd, DelayServer target, string prefix, List<WorkerProcess> workers)
    {
        Etcd = etcd;
        Target = target;
        Prefix = prefix;
        Workers = workers;
    }

    public EtcdServer Etcd { get; }

    public DelayServer Target { get; }

    public string Prefix { get; }

    public List<WorkerProcess> Workers { get; }

    /// <summary>Starts etcd, the target and <paramref name="workers"/> workers; <paramref name="extraArguments"/> go to worker i.</summary>
    /// <param name="workers">How many worker processes.</param>
    /// <param name="extraArguments">More arguments for worker i.</param>
    /// <param name="command">An installed <c>loadkit-worker</c> command to start instead of the built worker.</param>
    /// <param name="etcd">An etcd started by the test (with TLS, say), instead of a plain one; the cluster stops it.</param>
    /// <param name="prefix">The key prefix, instead of a new one.</param>
    /// <param name="environment">Variables set in worker i's process only.</param>
    public static async Task<Cluster> StartAsync(
        int workers,
        Func<int, string[]>? extraArguments = null,
        string? command = null,
        EtcdServer? etcd = null,
        string? prefix = null,
        Func<int, IReadOnlyDictionary<string, string>>? environment = null)
    {
        etcd ??= await EtcdServer.StartAsync();
        var target = await DelayServer.StartAsync(("/fast", TimeSpan.Zero), ("/products", TimeSpan.Zero), ("/checkout", TimeSpan.Zero));
        prefix ??= "run-" + Guid.NewGuid().ToString("N")[..8];
        var processes = Enumerable.Range(0, workers)
            .Select(i => (Arguments: (string[])["--etcd", etcd.Url, "--prefix", prefix, .. extraArguments?.Invoke(i) ?? []], Environment: environment?.Invoke(i)))
            .Select(w => command is null ? WorkerProcess.Start(w.Arguments, w.Environment) : WorkerProcess.StartCommand(command, w.Arguments))
            .ToList();
        Environment.SetEnvironmentVariable(DistributedScenarios.TargetVariable, target.BaseAddress.ToString());
        return new Cluster(etcd, target, prefix, processes);
    }

    /// <summary>Options for a run on these workers; <paramref name="change"/> adjusts the cluster's settings.</summary>
    public RunOptions Options(WorkerLossPolicy onLoss = WorkerLossPolicy.Rebalance, Func<ClusterOptions, ClusterOptions>? change = null) => new()
    {
        Target = new ClusterTarget(new ClusterOptions([new Uri(Etcd.Url)], Workers.Count, WorkerProcess.Token)
        {
            Prefix = Prefix,
            WorkerWait = TimeSpan.FromSeconds(30),
            OnWorkerLoss = onLoss,
            Forward = [DistributedScenarios.TargetVariable],
        } is var options && change is not null ? change(options) : options),
    };

    /// <summary>Waits until the target has answered at least <paramref name="requests"/> requests.</summary>
    public Task WaitForRequestsAsync(long requests, TimeSpan timeout) =>
        Eventually.UntilAsync(() => Target.Requests >= requests, timeout, () => $"the target saw {Target.Requests} requests, not {requests}.");

    /// <summary>
    /// Waits, from now, until the target's count stops growing (no change over half a second); returns how long
    /// after now the last growth was.
    /// </summary>
    public async Task<TimeSpan> WaitUntilTargetQuietAsync(TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long before;
        do
        {
            before = Target.Requests;
            await Task.Delay(500);
        }
        while (Target.Requests != before && clock.Elapsed < timeout);

        return clock.Elapsed - TimeSpan.FromMilliseconds(500);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in Workers)
        {
            await worker.DisposeAsync();
        }

        await Target.DisposeAsync();
        await Etcd.DisposeAsync();
    }
}
