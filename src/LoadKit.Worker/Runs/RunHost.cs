using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using LoadKit.Cluster.Protocol;
using LoadKit.Targets;
using LoadKit.Worker.Registration;
using LoadKit.Worker.Service;

namespace LoadKit.Worker.Runs;

/// <summary>
/// Runs one distributed run at a time on this worker: loads the test assembly and builds the scenarios with their
/// factories (or compiles the plan file the controller sent, <see cref="SentPlan"/>), starts at the controller's
/// instant, streams a snapshot a second and a final one. The controller's call is the run's heartbeat: the load stops
/// when it breaks or goes silent (Kestrel's HTTP/2 keep-alive pings, set in Program.cs, abort a connection whose
/// controller no longer answers), whatever etcd does; then the worker is idle again. See docs/distributed-ci.md, "How
/// a run survives".
/// </summary>
internal sealed class RunHost(
    WorkerIdentity identity, WorkerClock clock, ArtifactStore artifacts, EtcdRegistration registration, IHostApplicationLifetime lifetime, ILogger<RunHost> logger,
    ClaimCheck claims, RunLog runLog)
{
    /// <summary>How long a prepared run waits for its Start before it gives up.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    private int _busy;

    /// <summary>Unloads a run's test assembly after the run and logs whether it went, so a leak per run is visible.</summary>
    private async Task ReportUnloadAsync(WeakReference context, string? runId)
    {
        if (await TestAssembly.IsCollectedAsync(context).ConfigureAwait(false))
        {
            logger.LogInformation("Run {Run}: test assembly unloaded", runId);
        }
        else
        {
            logger.LogWarning("Run {Run}: test assembly still loaded after 10 collections: something outside it references its types (a thread, a timer, an event handler or a cache it filled)", runId);
        }
    }

    public async Task RunAsync(IAsyncStreamReader<RunCommand> commands, IServerStreamWriter<RunUpdate> updates, ServerCallContext context)
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"Worker {identity.Id} is busy with another run."));
        }

        // The load stops when the controller's call ends or the worker is told to stop (SIGTERM); an etcd outage changes nothing.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var runId = "?";
        TestAssembly? assembly = null;
        Task<LoadResult>? running = null;
        ShareRun? run = null;
        Task? listening = null;
        Dictionary<string, string?>? forwarded = null;

        // This run's log lines go to the controller with the snapshots.
        using var log = runLog.Begin();
        try
        {
            await registration.SetStateAsync(WorkerInfo.Busy, stop.Token);
            var prepare = (await NextAsync(commands, RunCommand.CommandOneofCase.Prepare, "first", stop.Token)).Prepare;
            runId = prepare.RunId;
            await claims.CheckAsync(prepare, stop.Token); // this controller's protocol, and this run holds this worker's claim
            forwarded = Forward(prepare.Environment);
            var fault = SnapshotFault.FromEnvironment();
            IReadOnlyList<Scenario> scenarios;
            if (prepare.PlanFile.Length > 0)
            {
                scenarios = SentPlan.Compile(artifacts.FolderOf(prepare.ArtifactSha256), prepare);
            }
            else
            {
                assembly = Load(prepare);
                scenarios = [.. prepare.Factories.Select(f => new ScenarioFactoryName(f.TypeName, f.MethodName).Build(assembly.Assembly))];
            }

            run = Prepare(prepare, scenarios);
            var preparing = Stopwatch.StartNew();
            await run.PrepareAsync(stop.Token);
            await updates.WriteAsync(new RunUpdate { Ready = new Ready { ProtocolVersion = ProtocolVersion.Current } }, stop.Token);
            logger.LogInformation(
                "Run {Run}: ready with {Scenarios} on {Share} (VUs, connections and code warmed in {Prepared:0.0} ms)",
                runId, string.Join(", ", run.Plan.Scenarios.Select(s => s.Name)), run.Segment, preparing.Elapsed.TotalMilliseconds);

            using var startWait = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
            startWait.CancelAfter(StartTimeout);
            var start = await NextAsync(commands, RunCommand.CommandOneofCase.Start, "second", startWait.Token);
            var instant = new DateTime(start.Start.StartAtWorkerUtcTicks, DateTimeKind.Utc);
            using var withoutCollections = StartWithoutCollections.Begin();
            // The waiting thread starts the engines itself, still at real-time priority, up to the first VU's first
            // request (a hop to the thread pool would add its queueing delay), and their plan clocks start at the
            // instant the wait ends: what delays them after it shows as lag.
            StartReached reached = default;
            running = await Task.Factory.StartNew(
                () => StartClock.RunAt(instant, () => clock.UtcNow, stop.Token, at =>
                {
                    reached = at;
                    return run!.RunAsync(at.Timestamp, new DateTimeOffset(at.WallTicks, TimeSpan.Zero), stop.Token);
                }),
                stop.Token,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
            if (running is null)
            {
                return;
            }

            // Updates are written for as long as the controller listens, also after this worker stopped its load by
            // itself: then the final snapshot says why, and nothing it measured is lost.
            var call = context.CancellationToken;

            // What follows runs for the first time in this process (the Started message, the log line, the command
            // loop) and compiles as it goes: a moment after the instant it no longer takes a core from the first requests.
            await Task.WhenAny(running, Task.Delay(PostStartPause, call));
            await updates.WriteAsync(new RunUpdate { Started = new Started { StartedWorkerUtcTicks = reached.WallTicks } }, call);
            logger.LogInformation(
                "Run {Run}: started {Late:0.000} ms after the instant (spun for the last {Spun:0.000} ms, real-time priority: {RealTime}, collections meanwhile: {Collections}, no-collection stretch: {Stretch})",
                runId,
                (reached.WallTicks - instant.Ticks) / 10_000.0,
                reached.Spun.TotalMilliseconds,
                reached.RealTime ? "yes" : "not permitted",
                reached.Collections,
                withoutCollections.State);

            // Commands after Start are take-overs; a broken stream means the controller is gone.
            string? stoppedByController = null;
            listening = ListenAsync(commands, run, stop, reason => stoppedByController = reason);
            long sequence = 0;
            long bytes = 0, largest = 0;
            while (!running.IsCompleted)
            {
                await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(1), call)).ConfigureAwait(false);
                withoutCollections.Dispose(); // the start and the first second are past
                if (!running.IsCompleted)
                {
                    var snapshot = run.TakeSnapshot();
                    var sent = Snapshot(++sequence, snapshot.Result, snapshot.Progress, final: false, log.Take());
                    var size = sent.CalculateSize();
                    (bytes, largest) = (bytes + size, Math.Max(largest, size));
                    await updates.WriteAsync(fault is null ? sent : fault.Apply(sent), call);
                    if (logger.IsEnabled(LogLevel.Debug))
                    {
                        logger.LogDebug("Run {Run}: snapshot {Sequence} sent; iteration-counted blocks: {Progress}", runId, sequence, Describe(snapshot.Progress));
                    }
                }
            }

            var final = await running;
            var stoppedBecause = !stop.IsCancellationRequested || stoppedByController is not null ? ""
                : lifetime.ApplicationStopping.IsCancellationRequested ? "the worker is stopping (SIGTERM)"
                : "the controller's request stream broke";
            var update = Snapshot(++sequence, final, run.FinalProgress(), final: true, log.Take());
            update.Snapshot.StoppedBecause = stoppedBecause;
            await updates.WriteAsync(update, call);
            logger.LogInformation("Run {Run}: ended after {Snapshots} snapshots of {Bytes} bytes on average (largest {Largest}){Why}", runId, sequence,
                (bytes / Math.Max(1, sequence - 1)).ToString(CultureInfo.InvariantCulture), largest.ToString(CultureInfo.InvariantCulture),
                stoppedByController is not null ? "; the controller stopped it: " + stoppedByController
                : stoppedBecause.Length == 0 ? "" : "; stopped early: " + stoppedBecause);
            await stop.CancelAsync();
            await listening;
        }
        // The call's own token too: the linked source hears of its cancellation in a callback, which may not have run yet
        // when a write has already seen the token cancelled (a flake seen once in CI).
        catch (Exception exception) when ((stop.IsCancellationRequested || context.CancellationToken.IsCancellationRequested || lifetime.ApplicationStopping.IsCancellationRequested)
            && exception is not RpcException { StatusCode: StatusCode.InvalidArgument })
        {
            logger.LogWarning("Run {Run}: stopped because {Why}", runId,
                context.CancellationToken.IsCancellationRequested ? "the controller's call ended"
                : lifetime.ApplicationStopping.IsCancellationRequested ? "the worker is stopping" : "the controller's request stream broke");
        }
        catch (ArgumentException exception)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, exception.Message));
        }
        catch (ScenarioRequirementException exception)
        {
            // This worker lacks what a scenario needs (a browser): the controller shows why.
            throw new RpcException(new Status(StatusCode.FailedPrecondition, exception.Message));
        }
        finally
        {
            // Whatever ended the call, no load outlives it: the engines stop and are waited for before the worker is idle.
            await stop.CancelAsync();
            if (running is not null)
            {
                await running.ContinueWith(_ => { }, TaskScheduler.Default);
            }

            // This method's frame lives until it returns: drop what reaches into the test assembly, so it can unload now.
            (running, run, listening) = (null, null, null);
            if (assembly is not null)
            {
                var unloading = assembly.Unload();
                assembly = null;
                _ = ReportUnloadAsync(unloading, runId);
            }

            foreach (var (name, value) in forwarded ?? [])
            {
                Environment.SetEnvironmentVariable(name, value);
            }

            // Free before it says so: a controller that sees it idle (and claims it) is not refused as busy.
            Volatile.Write(ref _busy, 0);
            await registration.SetStateAsync(WorkerInfo.Idle, CancellationToken.None);
        }
    }

    private static async Task<RunCommand> NextAsync(IAsyncStreamReader<RunCommand> commands, RunCommand.CommandOneofCase expected, string which, CancellationToken cancellationToken)
    {
        if (!await commands.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            throw new OperationCanceledException("The controller ended the run before it started.");
        }

        return commands.Current.CommandCase == expected
            ? commands.Current
            : throw new RpcException(new Status(StatusCode.InvalidArgument, $"The {which} command of a run must be {expected}, not {commands.Current.CommandCase}."));
    }

    /// <summary>Sets the controller's forwarded variables for this run (one run at a time); returns the values to restore.</summary>
    private static Dictionary<string, string?> Forward(IDictionary<string, string> environment)
    {
        var previous = environment.Keys.ToDictionary(name => name, Environment.GetEnvironmentVariable);
        foreach (var (name, value) in environment)
        {
            Environment.SetEnvironmentVariable(name, value.Length == 0 ? null : value);
        }

        return previous;
    }

    private TestAssembly Load(Prepare prepare)
    {
        try
        {
            return new TestAssembly(artifacts.FolderOf(prepare.ArtifactSha256), prepare.AssemblyFile);
        }
        catch (Exception exception) when (exception is BadImageFormatException or FileLoadException or IOException)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"assembly file = '{prepare.AssemblyFile}': cannot be loaded: {exception.Message}"));
        }
    }

    private static ShareRun Prepare(Prepare prepare, IReadOnlyList<Scenario> scenarios)
    {
        var options = RunOptions.Parse(prepare.Profile, "profile", prepare.LoadScale.ToString(CultureInfo.InvariantCulture), "load scale", RunOptions.Default);
        var segments = LoadSegments.Parse(prepare.SegmentBoundaries);
        if (prepare.SegmentIndex < 0 || prepare.SegmentIndex >= segments.Count)
        {
            throw new ArgumentException($"segment index = {prepare.SegmentIndex}: allowed 0 to {segments.Count - 1} for segments {segments}.");
        }

        // The controller watches the thresholds on the merged figures; a worker only runs its share, and exports its own
        // live metrics when its environment (or what the controller forwarded) names an OTLP endpoint, and serves them to
        // Prometheus when its own environment names an address (open from its first run on).
        return new ShareRun(options.Plan(scenarios), segments, prepare.SegmentIndex,
            [.. new IRunObserver?[] { OtlpExporter.FromEnvironment(), PrometheusEndpoint.FromEnvironment() }.OfType<IRunObserver>()]);
    }

    /// <summary>
    /// Runs a take-over; one this worker cannot read (a part outside its segments, counts that do not fit) is logged
    /// and left, and the load and the stream go on: the controller sees the part never ran (no progress under its id).
    /// </summary>
    private void TakeOver(TakeOver command, ShareRun run, CancellationToken cancellationToken)
    {
        try
        {
            var takeOver = ToTakeOver(run.Segments, command);
            logger.LogInformation("Take-over {Id}: {Part} from {At} ms: {What}",
                takeOver.Id, takeOver.Part, takeOver.ResumeAt.TotalMilliseconds,
                run.TakeOver(takeOver, cancellationToken) ? "running" : "not run, the run has ended");
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or FormatException)
        {
            logger.LogError("Take-over {Id} of segment {Segment} refused: {Problem}", command.TakeOverId, command.LostSegmentIndex, exception.Message);
        }
    }

    /// <summary>How long after the instant the worker starts telling the controller about it (its start time is in the message).</summary>
    private static readonly TimeSpan PostStartPause = TimeSpan.FromMilliseconds(50);

    private async Task ListenAsync(IAsyncStreamReader<RunCommand> commands, ShareRun run, CancellationTokenSource stop, Action<string> stopRequested)
    {
        try
        {
            while (await commands.MoveNext(stop.Token).ConfigureAwait(false))
            {
                if (commands.Current.CommandCase == RunCommand.CommandOneofCase.Stop)
                {
                    // The load ends as if its time were up; the final snapshot still goes to the controller.
                    logger.LogInformation("The controller stops the run: {Reason}", commands.Current.Stop.Reason);
                    stopRequested(commands.Current.Stop.Reason);
                    await stop.CancelAsync().ConfigureAwait(false);
                    return;
                }

                if (commands.Current.CommandCase == RunCommand.CommandOneofCase.TakeOver)
                {
                    TakeOver(commands.Current.TakeOver, run, stop.Token);
                }
            }

            // The request stream ended: the controller will not send anything more; it still reads our snapshots.
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException or InvalidOperationException or RpcException)
        {
            await stop.CancelAsync().ConfigureAwait(false);
        }
    }

    private static string Describe(IReadOnlyList<ScenarioProgress> progress) => string.Join(
        ", ", progress.Select(p => (p.TakeOverId == 0 ? "" : $"take-over {p.TakeOverId} ")
            + (p.Block < 0 ? $"'{p.Scenario}' none started" : $"'{p.Scenario}' block {p.Block}, {p.Completed} completed")));

    /// <summary>The take-over the controller sent, in the share's terms.</summary>
    /// <exception cref="ArgumentException">It names a segment or a cut that does not exist.</exception>
    private static SegmentTakeOver ToTakeOver(LoadSegments segments, TakeOver takeOver) => new(
        takeOver.TakeOverId,
        takeOver.Cuts.Aggregate(segments.Segment(takeOver.LostSegmentIndex), (part, cut) => part.Cut(cut.PartIndex, cut.PartCount)),
        TimeSpan.FromMilliseconds(takeOver.ResumeAtMs),
        [.. takeOver.Iterations.Select(i => new ScenarioIterations(i.Scenario, i.BlockIndex, i.Iterations))]);

    /// <summary>A snapshot of what <paramref name="result"/> holds: what was measured since the previous one.</summary>
    private static RunUpdate Snapshot(long sequence, LoadResult result, IReadOnlyList<ScenarioProgress> progress, bool final, LogLine[] logLines) => new()
    {
        Snapshot = new Snapshot
        {
            Sequence = sequence,
            Final = final,
            Interval = SnapshotEncoding.ToMessage(result),
            IterationProgress = { progress.Select(p => new BlockProgress { Scenario = p.Scenario, BlockIndex = p.Block, Completed = p.Completed, TakeOverId = p.TakeOverId }) },
            LogLines = { logLines },
        },
    };
}
