using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using LoadKit.Cluster.Protocol;
using LoadKit.Display;
using LoadKit.Targets;

namespace LoadKit.Cluster;

/// <summary>
/// The controller of a distributed run: finds idle workers in etcd, sends them the test's output folder, tells each
/// which scenario factories to call and which segment of the load it owns, estimates their clocks, starts them at one
/// instant, and merges their snapshots exactly into one <see cref="LoadResult"/>. A lost worker is named in the result
/// and, by default, its remaining share moves to the survivors.
/// </summary>
internal static class DistributedRunner
{
    /// <summary>The source of the events the controller tells of the run as a whole.</summary>
    internal const string Controller = "controller";

    /// <summary>The least time between the start command and the start instant.</summary>
    private static readonly TimeSpan StartLead = TimeSpan.FromMilliseconds(500);

    private static readonly TimeSpan PrepareTimeout = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Runs <paramref name="plan"/> on the workers: they get the folder of its test assembly, load that assembly and
    /// build the scenarios with its factories (with the origin's environment and the cluster's forwarded variables); or,
    /// for scenarios compiled from a plan file, they get <paramref name="planFile"/> and its feed files and compile it.
    /// </summary>
    /// <exception cref="ArgumentException">The plan's scenarios were given as objects without a plan file, or its load cannot be split across the workers.</exception>
    /// <exception cref="DistributedRunException">The workers could not be found, reached or kept; the message says what was seen.</exception>
    public static async Task<LoadResult> RunAsync(RunPlan plan, ClusterOptions cluster, PlanFileSource? planFile, RunObservers observers, CancellationToken cancellationToken)
    {
        var origin = ScenarioSource.Of(plan);
        if (origin is null && planFile is null)
        {
            throw new ArgumentException(
                "The run options choose a cluster, but scenarios given as objects can only run here: pass their factories " +
                "(static methods that return the Scenario) so the workers can build them too, or the plan file they were compiled from (ClusterTarget.PlanSource).", nameof(plan));
        }

        var segments = LoadSegments.Equal(cluster.Workers);
        var problems = segments.Check(plan);
        if (problems.Count > 0)
        {
            throw new ArgumentException($"The load cannot be split across {cluster.Workers} workers:{Environment.NewLine}  - {string.Join(Environment.NewLine + "  - ", problems)}");
        }

        var runId = Guid.NewGuid().ToString("N")[..12];

        // The workers are this run's alone until it ends (however it ends): see WorkerClaims.
        var trust = WorkerTrust.From(cluster);
        await using var claims = await WorkerClaims.ClaimAsync(EtcdAccess.From(cluster), cluster.Prefix, cluster.Workers, runId, cluster.WorkerWait, cancellationToken, trust)
            .ConfigureAwait(false);
        var found = claims.Workers;
        var artifact = origin is not null
            ? Artifact.Pack(Path.GetDirectoryName(origin.AssemblyPath)!)
            : Artifact.Pack(planFile!.Files.Select(f => (planFile.EntryOf(f), new FileInfo(f))));
        var headers = WorkerToken.Headers(cluster.Token);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var links = found.Select((info, i) => new WorkerLink(info, i, HeldShare.Own(segments, i), trust.SslOptions)).ToArray();
        try
        {
            var prepare = new Prepare
            {
                RunId = runId,
                ProtocolVersion = ProtocolVersion.Current,
                ArtifactSha256 = artifact.Sha256,
                SegmentBoundaries = { segments.Boundaries },
                Profile = plan.Profile.ToString().ToLowerInvariant(),
                LoadScale = plan.LoadScale,
            };
            foreach (var name in cluster.Forward)
            {
                prepare.Environment[name] = Environment.GetEnvironmentVariable(name) ?? "";
            }

            if (origin is not null)
            {
                foreach (var (name, value) in origin.Environment)
                {
                    prepare.Environment[name] = value;
                }

                prepare.AssemblyFile = Path.GetFileName(origin.AssemblyPath);
                prepare.Factories.AddRange(origin.Factories.Select(l => new ScenarioFactory { TypeName = l.TypeName, MethodName = l.MethodName }));
            }
            else
            {
                prepare.PlanFile = planFile!.PlanEntry;
                prepare.PlanScenarios.AddRange(plan.Scenarios.Select(s => s.Name));
            }
            using (var preparing = CancellationTokenSource.CreateLinkedTokenSource(stop.Token))
            {
                preparing.CancelAfter(PrepareTimeout);
                await Task.WhenAll(links.Select(l => l.PrepareAsync(artifact, headers, prepare, preparing.Token))).ConfigureAwait(false);
            }

            var startAt = DateTime.UtcNow + StartLead + (4 * links.Max(l => l.Clock.RoundTrip));
            await Task.WhenAll(links.Select(l => l.StartAsync(startAt, stop.Token))).ConfigureAwait(false);
            var startTimestamp = System.Diagnostics.Stopwatch.GetTimestamp() + (long)((startAt - DateTime.UtcNow).TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
            observers.Started(startTimestamp);
            var notes = new List<string>();
            var moves = new ShareMoves(plan, segments);
            await FollowAsync(links, startAt, cluster.OnWorkerLoss, moves, observers, stop).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                observers.Tell(new RunEvent(DateTimeOffset.UtcNow, RunEventKind.Stopped, RunEventLevel.Warning, Controller,
                    "Cancelled by the caller: every worker's load stops; the result holds what their snapshots carried."));
            }

            notes.AddRange(moves.Notes());
            notes.AddRange(claims.Notes);
            var result = Merge(links, startAt, cancellationToken.IsCancellationRequested, notes);
            var lost = result.Workers.Count(w => w.Lost is not null);
            observers.Tell(new RunEvent(DateTimeOffset.UtcNow, RunEventKind.Log, lost > 0 ? RunEventLevel.Warning : RunEventLevel.Information, Controller,
                $"The run ended after {Format.Duration(result.Duration)}: {Format.Count(result.Scenarios.SelectMany(s => s.Steps).Sum(s => s.Completed))} calls " +
                $"on {links.Length} workers{(lost > 0 ? $", {lost} of them lost" : "")}."));
            return result;
        }
        catch (RpcException exception)
        {
            var link = links.FirstOrDefault(l => l.Failure == exception) ?? links[0];
            var what = exception.StatusCode is StatusCode.Unauthenticated or StatusCode.InvalidArgument or StatusCode.ResourceExhausted or StatusCode.FailedPrecondition
                ? "refused the run"
                : "could not be reached for the run";
            throw new DistributedRunException($"Worker {link.Info.Id} at {link.Info.Address} {what} ({exception.StatusCode}): {exception.Status.Detail}", exception);
        }
        finally
        {
            // Ending the calls stops every worker's load, whatever happened here.
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var link in links)
            {
                link.Dispose();
            }
        }
    }

    /// <summary>
    /// Reads every worker's updates until all finished or were lost; moves what a lost worker held on (its own segment
    /// and the parts it had taken over), or fails. With thresholds, evaluates them on the merged snapshots as they arrive.
    /// </summary>
    private static async Task FollowAsync(
        WorkerLink[] links,
        DateTime startAt,
        WorkerLossPolicy policy,
        ShareMoves moves,
        RunObservers observers,
        CancellationTokenSource stop)
    {
        using var snapshots = new SemaphoreSlim(0);
        using var following = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);

        // Every worker's intervals added up as they arrive, their points of the last 2 minutes kept: the live figures
        // cost the same each second of any run, in time and in memory.
        var live = new ShareTotals(recentSeconds: 120);
        var publishing = PublishAsync(links, live, observers, snapshots, following.Token);
        try
        {
            var reading = links.ToDictionary(
                l => l.ReadAsync(
                    (link, interval) =>
                    {
                        lock (live)
                        {
                            live.Add(interval, link.Index);
                            link.Recent.Add(interval);
                        }

                        snapshots.Release();
                    },
                    observers.Tell,
                    stop.Token),
                l => l);
            while (reading.Count > 0)
            {
                var done = await Task.WhenAny(reading.Keys).ConfigureAwait(false);
                var link = reading[done];
                reading.Remove(done);
                if (stop.IsCancellationRequested)
                {
                    continue;
                }

                var at = DateTime.UtcNow - startAt;
                if (link.Lost is not null)
                {
                    observers.Tell(new RunEvent(DateTimeOffset.UtcNow, RunEventKind.Lost, RunEventLevel.Warning, link.Info.Id,
                        $"Lost {Format.Duration(at < TimeSpan.Zero ? TimeSpan.Zero : at)} into the run: {link.Lost}."));
                }

                // A lost worker hands on all it held; one that ended its run, the parts it was sent that it never ran.
                var moving = link.Holding().Where(h => link.Lost is not null || !h.Acknowledged).ToArray();
                if (moving.Length == 0)
                {
                    continue;
                }

                if (link.Lost is not null && policy == WorkerLossPolicy.Fail)
                {
                    throw new DistributedRunException(
                        $"Worker {link.Info.Id} at {link.Info.Address} was lost {Format.Duration(at)} into the run ({link.Lost}); " +
                        $"the run stopped because {ClusterOptions.OnWorkerLossVariable} = fail.");
                }

                await moves.MoveAsync(link, moving, at < TimeSpan.Zero ? TimeSpan.Zero : at, [.. reading.Values], observers.Tell, stop.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            await following.CancelAsync().ConfigureAwait(false);
            await publishing.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Hands the observers the run's live totals with the points of the controller's current second: the latest one
    /// every live worker has sent, so a rate is never that of the workers that happened to report first. It publishes
    /// when that second moves on or a worker ends, or 2 s after the last publish when neither happened (a worker
    /// late): workers' snapshots arrive spread over the second, and reading the totals for each one cost the
    /// controller a merge of every histogram's buckets per worker and second. When an observer stops the run, tells
    /// every worker to stop its load and send its final snapshot.
    /// </summary>
    private static async Task PublishAsync(WorkerLink[] links, ShareTotals live, RunObservers observers, SemaphoreSlim snapshots, CancellationToken cancellationToken)
    {
        try
        {
            using var stopRequested = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, observers.StopRequested);
            var (publishedSecond, publishedLive, publishedAt) = (-1, links.Length, 0L);
            while (!observers.StopRequested.IsCancellationRequested)
            {
                var ended = false;
                try
                {
                    await snapshots.WaitAsync(stopRequested.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    break; // an observer stopped the run
                }
                catch (OperationCanceledException)
                {
                    ended = true; // every worker finished or was lost: what arrived last is published once more
                }

                while (snapshots.Wait(0))
                {
                    // Taken together: one merge for the snapshots that arrived meanwhile.
                }

                if (observers.WantsSnapshots)
                {
                    IReadOnlyList<ScenarioResult> current;
                    GeneratorSnapshot[] generators;
                    lock (live)
                    {
                        // Under the same lock as the additions, so the workers' calls add up to the second's figures.
                        var second = CurrentSecond(links);
                        var liveLinks = links.Count(l => l.Live);
                        if (!ended && second == publishedSecond && liveLinks == publishedLive && Stopwatch.GetElapsedTime(publishedAt) < TimeSpan.FromSeconds(2))
                        {
                            continue;
                        }

                        (publishedSecond, publishedLive, publishedAt) = (second, liveLinks, Stopwatch.GetTimestamp());
                        current = live.Any ? live.Current(second) : [];
                        generators = [.. links.Select(l => l.Generator(second))];
                    }

                    if (current.Count > 0)
                    {
                        observers.Publish(new RunSnapshot(current) { Generators = generators });
                    }
                }

                if (ended)
                {
                    return;
                }
            }

            var reason = observers.StopReason ?? "an observer stopped the run";
            observers.Tell(new RunEvent(DateTimeOffset.UtcNow, RunEventKind.Stopped, RunEventLevel.Warning, Controller,
                $"Stopped early: {reason.TrimEnd('.')}. Every worker stops its load and sends its final figures."));
            await Task.WhenAll(links.Select(l => l.StopAsync(reason, cancellationToken))).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Every worker has finished or was lost.
        }
    }

    /// <summary>
    /// The latest second every live worker has sent (-1 while one has sent none: a second with only some workers' calls
    /// would show a fraction of the rate); all workers' latest once none is live.
    /// </summary>
    private static int CurrentSecond(WorkerLink[] links)
    {
        var live = links.Where(l => l.Live).Select(l => l.LastSecond).ToArray();
        return live.Length > 0 ? live.Min() : links.Max(l => l.LastSecond);
    }

    private static LoadResult Merge(WorkerLink[] links, DateTime startAt, bool cancelled, List<string> notes)
    {
        // Each worker's health is named after the worker (WorkerLink.Result), and kept apart from the others'.
        var reported = links.Where(l => l.Result is not null).ToArray();
        var lastSecond = reported.SelectMany(l => l.Result!.Scenarios).SelectMany(s => s.Timeline).Select(p => p.Second).DefaultIfEmpty(-1).Max();
        var workers = links.Select(l => new WorkerResult(
            l.Info.Id,
            l.Info.Address,
            string.Join(" + ", l.Holding().Where(h => h.Id == 0 || h.Acknowledged).Select(h => h.Name)),
            l.Clock.Offset,
            l.StartedAt,
            l.Lost,
            l.MissingSeconds(lastSecond),
            l.Result ?? new LoadResult(startAt, startAt, cancelled, []))
        {
            // Each worker's clock, turned into the controller's with the estimate its start instant was given by.
            FirstCallAt = l.Result?.Scenarios.Min(s => s.FirstCallAt) - l.Clock.Offset,
        }).ToArray();
        var starts = links.Where(l => l.StartedAt is not null).Select(l => l.StartedAt!.Value).ToArray();
        var firstCalls = workers.Select(w => w.FirstCallAt).OfType<DateTimeOffset>().ToArray();
        var startedAt = starts.Length > 0 ? starts.Min() : new DateTimeOffset(startAt);
        var merged = ShareResults.Merge([.. reported.Select(l => l.Result!)], startedAt, DateTimeOffset.UtcNow, cancelled);
        return merged with
        {
            Workers = workers,
            StartSkew = starts.Length > 0 ? starts.Max() - starts.Min() : null,
            FirstCallSpread = firstCalls.Length > 1 ? firstCalls.Max() - firstCalls.Min() : null,
            Notes = [.. notes, .. reported.SelectMany(l => l.Result!.Notes.Select(n => $"{l.Info.Id}: {n}"))],
        };
    }
}
