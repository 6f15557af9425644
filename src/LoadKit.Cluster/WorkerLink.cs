using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using LoadKit.Cluster.Protocol;
using LoadKit.Display;
using LoadKit.Targets;

namespace LoadKit.Cluster;

/// <summary>One worker's side of the run: its channel, its call and what it reported.</summary>
internal sealed class WorkerLink(WorkerInfo info, int index, HeldShare own, System.Net.Security.SslClientAuthenticationOptions trust) : IDisposable
{
    private readonly GrpcChannel _channel = GrpcChannel.ForAddress(info.Address, new GrpcChannelOptions
    {
        MaxReceiveMessageSize = 256 * 1024 * 1024,
        HttpHandler = new SocketsHttpHandler
        {
            // HTTP/2 pings find a worker that went silent without closing its connection: lost about 5 s after its
            // last frame (docs/distributed-ci.md, "How a run survives"; OutageTests measure it).
            KeepAlivePingDelay = TimeSpan.FromSeconds(1),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(3),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            SslOptions = trust,
        },
    });

    private readonly SemaphoreSlim _writing = new(1, 1);
    private AsyncDuplexStreamingCall<RunCommand, RunUpdate>? _call;

    // Whole seconds of the run that this worker's snapshots covered; all of it once its final one arrived.
    private int _coveredSeconds;
    private volatile bool _finalArrived;
    private long _sequence;

    // Its own segment, then the parts it was sent, in that order.
    private readonly List<HeldShare> _held = [own];

    // Why this side ended the call (a malformed snapshot, a take-over that could not be written); null: it did not.
    private volatile string? _dropped;

    public WorkerInfo Info { get; } = info;

    public int Index { get; } = index;

    /// <summary>Its own segment.</summary>
    public string Segment => own.Name;

    public ClockEstimate Clock { get; private set; }

    public DateTimeOffset? StartedAt { get; private set; }

    /// <summary>The run's start instant, on the controller's clock.</summary>
    private DateTime _startAt;

    /// <summary>Its calls and health in its latest seconds: what a live view shows of it. Added to and read under the run's live totals' lock.</summary>
    public RecentSeconds Recent { get; } = new();

    // What its snapshots carried, added up; read by this worker's reader only, and at the end.
    private readonly ShareTotals _totals = new();
    private LoadResult? _result;

    /// <summary>
    /// Everything its snapshots carried (up to its last one when it was lost), its health named after it; null before
    /// its first snapshot. Built from the running totals once per change: read it at the end, not every second.
    /// </summary>
    public LoadResult? Result
    {
        get
        {
            if (_result is null && _totals.Any)
            {
                var result = _totals.ToResult();
                _result = result with { Generators = [.. result.Generators.Select(g => g with { Process = Info.Id })] };
            }

            return _result;
        }
    }

    /// <summary>The latest second its snapshots reached; -1 before any.</summary>
    public int LastSecond => _totals.LastSecond;

    public string? Lost { get; private set; }

    /// <summary>Neither lost, dropped nor finished: it may be sent a take-over.</summary>
    public bool Live => Lost is null && _dropped is null && !_finalArrived;

    public RpcException? Failure { get; private set; }

    public async Task PrepareAsync(Artifact artifact, Metadata headers, Prepare prepare, CancellationToken cancellationToken)
    {
        try
        {
            var client = new Protocol.Worker.WorkerClient(_channel);
            await artifact.UploadAsync(client, headers, cancellationToken).ConfigureAwait(false);
            Clock = await ClockSync.EstimateAsync(client, headers, ClockSync.DefaultRounds, cancellationToken).ConfigureAwait(false);
            _call = client.Run(headers); // lives until disposed: ending it stops the worker's load
            var withSegment = prepare.Clone();
            withSegment.SegmentIndex = Index;
            await _call.RequestStream.WriteAsync(new RunCommand { Prepare = withSegment }, cancellationToken).ConfigureAwait(false);
            if (!await _call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false) || _call.ResponseStream.Current.UpdateCase != RunUpdate.UpdateOneofCase.Ready)
            {
                throw new RpcException(new Status(StatusCode.Internal, "The worker ended the run before it was ready."));
            }

            if (_call.ResponseStream.Current.Ready.ProtocolVersion != ProtocolVersion.Current)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition, ProtocolVersion.Mismatch(
                    "the worker", _call.ResponseStream.Current.Ready.ProtocolVersion, "this controller", ProtocolVersion.Current)));
            }
        }
        catch (RpcException exception)
        {
            Failure = exception;
            throw;
        }
    }

    public async Task StartAsync(DateTime startAt, CancellationToken cancellationToken)
    {
        _startAt = startAt;
        try
        {
            await WriteAsync(new RunCommand { Start = new Start { StartAtWorkerUtcTicks = (startAt + Clock.Offset).Ticks } }, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException exception)
        {
            Failure = exception; // so the error names this worker, not the first
            throw;
        }
    }

    /// <summary>What it holds: its own segment, then the parts it was sent (acknowledged or not).</summary>
    public HeldShare[] Holding()
    {
        lock (_held)
        {
            return [.. _held];
        }
    }

    /// <summary>
    /// Sends this worker a part of a lost worker's load; it holds the part from now on (until a snapshot lists it, not
    /// acknowledged). False: the write failed, so the call is ended and the worker will count as lost (it then hands
    /// on what it held, this part too).
    /// </summary>
    public async Task<bool> TakeOverAsync(HeldShare part, CancellationToken cancellationToken)
    {
        lock (_held)
        {
            _held.Add(part);
        }

        try
        {
            await WriteAsync(new RunCommand { TakeOver = part.ToTakeOver() }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception exception) when (exception is RpcException or InvalidOperationException or IOException && !cancellationToken.IsCancellationRequested)
        {
            Drop($"take-over {part.Id} could not be written to it: {exception.Message}");
            return false;
        }
    }

    /// <summary>Tells the worker to stop its load early and send its final snapshot.</summary>
    public async Task StopAsync(string reason, CancellationToken cancellationToken)
    {
        try
        {
            await WriteAsync(new RunCommand { Stop = new StopRun { Reason = reason } }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is RpcException or InvalidOperationException or IOException)
        {
            // This worker is gone or finished; its own read loop reports it.
        }
    }

    /// <summary>
    /// Reads updates until the final snapshot; a call that ends before it marks the worker lost. Each snapshot's interval
    /// is added to this worker's totals and handed to <paramref name="onSnapshot"/> (the run's live totals); its start
    /// and its log lines are told to <paramref name="tell"/>, named after it.
    /// </summary>
    public async Task ReadAsync(Action<WorkerLink, LoadResult> onSnapshot, Action<RunEvent> tell, CancellationToken cancellationToken)
    {
        try
        {
            while (await _call!.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                var update = _call.ResponseStream.Current;
                if (update.UpdateCase == RunUpdate.UpdateOneofCase.Started)
                {
                    StartedAt = new DateTimeOffset(new DateTime(update.Started.StartedWorkerUtcTicks, DateTimeKind.Utc) - Clock.Offset);
                    var late = StartedAt.Value - new DateTimeOffset(_startAt);
                    tell(new RunEvent(StartedAt.Value, RunEventKind.Started, RunEventLevel.Information, Info.Id,
                        $"Started its share {Segment} {Format.Milliseconds(late.Duration())} {(late < TimeSpan.Zero ? "before" : "after")} the start instant (by the controller's estimate of its clock)."));
                }
                else if (update.UpdateCase == RunUpdate.UpdateOneofCase.Snapshot)
                {
                    foreach (var line in update.Snapshot.LogLines)
                    {
                        tell(LogEvent(line));
                    }

                    // Each snapshot carries its own interval, so what earlier ones counted stays if a later one is spoilt: that one ends the worker's part.
                    if (Malformed(update.Snapshot, out var snapshot) is { } problem)
                    {
                        Lost = problem;
                        Drop(problem); // its load stops; its share moves
                        return;
                    }

                    _totals.Add(snapshot);
                    _result = null;
                    Acknowledge(update.Snapshot.IterationProgress);
                    _coveredSeconds = Math.Max(_coveredSeconds, (int)snapshot.Duration.TotalSeconds);
                    _finalArrived |= update.Snapshot.Final;
                    onSnapshot(this, snapshot);
                    if (update.Snapshot.Final)
                    {
                        if (update.Snapshot.StoppedBecause.Length > 0)
                        {
                            Lost = $"it stopped its load early: {update.Snapshot.StoppedBecause}";
                        }

                        await EndCallAsync(cancellationToken).ConfigureAwait(false);
                        return;
                    }
                }
            }

            Lost = "its stream ended before the final snapshot";
        }
        catch (RpcException exception) when (!cancellationToken.IsCancellationRequested)
        {
            Lost = _dropped ?? $"its stream broke: {exception.StatusCode}, {exception.Status.Detail}";
        }
        catch (Exception exception) when (_dropped is not null && !cancellationToken.IsCancellationRequested && exception is InvalidOperationException or IOException)
        {
            Lost = _dropped;
        }
        catch (Exception exception) when (cancellationToken.IsCancellationRequested && exception is RpcException or OperationCanceledException)
        {
            // The run was stopped here; what arrived is kept.
        }
    }

    /// <summary>This worker as a live view shows it in <paramref name="second"/>: its calls and health then, what it runs, whether it was lost. Read under the live totals' lock.</summary>
    public GeneratorSnapshot Generator(int second) => new(
        Info.Id,
        string.Join(" + ", Holding().Where(h => h.Id == 0 || h.Acknowledged).Select(h => h.Name)),
        Lost,
        second,
        Recent.Calls(second),
        Recent.Cores > 0 ? Recent.Cores : Info.Cores,
        Recent.Health(second));

    /// <summary>A log line it sent, as an event named after it, at its time on the controller's clock.</summary>
    private RunEvent LogEvent(LogLine line)
    {
        var level = line.Level switch
        {
            LogLineLevel.Warning => RunEventLevel.Warning,
            LogLineLevel.Error => RunEventLevel.Error,
            _ => RunEventLevel.Information,
        };

        // LoadKit's own lines say what they are; another category (ASP.NET Core, the test's code) is named.
        var message = line.Category.StartsWith("LoadKit", StringComparison.Ordinal) ? line.Message : $"[{line.Category}] {line.Message}";
        return new RunEvent(new DateTimeOffset(new DateTime(line.AtUtcTicks, DateTimeKind.Utc) - Clock.Offset), RunEventKind.Log, level, Info.Id, message);
    }

    /// <summary>
    /// Seconds up to <paramref name="lastSecond"/> that no snapshot of this worker covered: those after its last one when
    /// it was lost, or from the plan time of a part it was sent and no snapshot listed (nobody reported that part's
    /// load from then until it moved on). A second without a timeline point is not a gap: the worker had nothing to
    /// count in it (no VU of its segment, or none finished a call), and its next snapshot said so.
    /// </summary>
    public IReadOnlyList<int> MissingSeconds(int lastSecond)
    {
        if (_finalArrived)
        {
            return [];
        }

        var from = Holding().Where(h => !h.Acknowledged && h.Id != 0).Select(h => (int)h.ResumeAt.TotalSeconds).Append(_coveredSeconds).Min();
        return from > lastSecond ? [] : [.. Enumerable.Range(from, lastSecond - from + 1)];
    }

    /// <summary>
    /// After the final snapshot: ends the commands (the worker's read of them ends cleanly) and waits, briefly, for the
    /// worker to end the call. Disposing the call while the worker still reads resets its stream, which the worker
    /// logs as an error (seen in CI).
    /// </summary>
    private async Task EndCallAsync(CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(EndWait);
        try
        {
            await _writing.WaitAsync(bound.Token).ConfigureAwait(false);
            try
            {
                await _call!.RequestStream.CompleteAsync().ConfigureAwait(false);
            }
            finally
            {
                _writing.Release();
            }

            while (await _call.ResponseStream.MoveNext(bound.Token).ConfigureAwait(false))
            {
                // Nothing follows the final snapshot; a worker that sent more has its call ended by Dispose.
            }
        }
        catch (Exception exception) when (exception is RpcException or OperationCanceledException or InvalidOperationException or IOException)
        {
            // Its final snapshot is in; how the call ends adds nothing.
        }
    }

    /// <summary>How long a worker that sent its final snapshot is given to end its call before this side ends it.</summary>
    private static readonly TimeSpan EndWait = TimeSpan.FromSeconds(2);

    /// <summary>Ends this worker's call from this side (its load stops): it counts as lost for <paramref name="reason"/>.</summary>
    private void Drop(string reason)
    {
        _dropped ??= reason;
        _call?.Dispose();
    }

    /// <summary>Why <paramref name="update"/> cannot be taken (then this worker counts as lost); null: it is the next snapshot, read into <paramref name="snapshot"/>.</summary>
    private string? Malformed(Snapshot update, out LoadResult snapshot)
    {
        snapshot = null!;
        if (update.Sequence != _sequence + 1)
        {
            return $"it sent snapshot {update.Sequence} after snapshot {_sequence}: a snapshot is the previous one's number + 1";
        }

        _sequence = update.Sequence;
        try
        {
            snapshot = SnapshotEncoding.FromMessage(update.Interval ?? throw new FormatException("it carries no interval."));
            return null;
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or FormatException or NotSupportedException)
        {
            return $"its snapshot {update.Sequence} could not be read: {exception.GetType().Name}: {exception.Message}";
        }
    }

    /// <summary>Takes a snapshot's progress per held share: a part it lists is acknowledged.</summary>
    private void Acknowledge(IEnumerable<BlockProgress> progress)
    {
        var byShare = progress.GroupBy(p => p.TakeOverId).ToDictionary(
            g => g.Key, g => (IReadOnlyList<ScenarioProgress>)[.. g.Select(p => new ScenarioProgress(p.Scenario, p.TakeOverId, p.BlockIndex, p.Completed))]);
        foreach (var held in Holding())
        {
            if (byShare.TryGetValue(held.Id, out var known))
            {
                held.Progress = known;
            }
        }
    }

    public void Dispose()
    {
        _call?.Dispose();
        _channel.Dispose();
        _writing.Dispose();
        _totals.Dispose(); // its file of past seconds: Result, once read, holds them
    }

    private async Task WriteAsync(RunCommand command, CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _call!.RequestStream.WriteAsync(command, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writing.Release();
        }
    }
}
