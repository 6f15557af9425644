using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using LoadKit.Cluster.Protocol;
using LoadKit.Targets;

namespace LoadKit.Cluster;

/// <summary>One worker's side of the run: its channel, its call and what it reported.</summary>
internal sealed class WorkerLink(WorkerInfo info, int index, string segment, System.Net.Security.SslClientAuthenticationOptions trust) : IDisposable
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
    private bool _finalArrived;

    public WorkerInfo Info { get; } = info;

    public int Index { get; } = index;

    public string Segment { get; } = segment;

    public List<string> TakenOver { get; } = [];

    public ClockEstimate Clock { get; private set; }

    public DateTimeOffset? StartedAt { get; private set; }

    public LoadResult? Result { get; private set; }

    /// <summary>Its own share's iteration progress in its last snapshot (the statistics of <see cref="Result"/>).</summary>
    public BlockProgress[] Progress { get; private set; } = [];

    public void NameGenerators() => Result = Result! with { Generators = [.. Result.Generators.Select(g => g with { Process = Info.Id })] };

    public string? Lost { get; private set; }

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

    /// <summary>
    /// Tells this worker to run part <paramref name="part"/> of <paramref name="parts"/> of a lost worker's segment, with the lost
    /// worker's iteration progress from its last snapshot (null: none had arrived).
    /// </summary>
    public async Task TakeOverAsync(int lostIndex, int part, int parts, long resumeAtMs, BlockProgress[]? progress, CancellationToken cancellationToken)
    {
        TakenOver.Add($"part {part + 1} of {parts} of segment {lostIndex + 1} from {resumeAtMs} ms");
        var takeOver = new TakeOver
        {
            LostSegmentIndex = lostIndex,
            PartIndex = part,
            PartCount = parts,
            ResumeAtMs = resumeAtMs,
            ProgressKnown = progress is not null,
            IterationProgress = { progress ?? [] },
        };
        try
        {
            await WriteAsync(new RunCommand { TakeOver = takeOver }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is RpcException or InvalidOperationException or IOException)
        {
            // This worker is going too; its own read loop reports it.
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

    /// <summary>Reads updates until the final snapshot; a call that ends before it marks the worker lost.</summary>
    public async Task ReadAsync(Action onSnapshot, CancellationToken cancellationToken)
    {
        try
        {
            while (await _call!.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                var update = _call.ResponseStream.Current;
                if (update.UpdateCase == RunUpdate.UpdateOneofCase.Started)
                {
                    StartedAt = new DateTimeOffset(new DateTime(update.Started.StartedWorkerUtcTicks, DateTimeKind.Utc) - Clock.Offset);
                }
                else if (update.UpdateCase == RunUpdate.UpdateOneofCase.Snapshot)
                {
                    // Totals are cumulative, so a snapshot that never arrived loses only its timeline points (a gap).
                    var snapshot = LoadResult.FromJson(update.Snapshot.ResultJson);
                    Result = Result is null ? snapshot : ShareResults.Append(Result, snapshot);
                    Progress = [.. update.Snapshot.IterationProgress];
                    _coveredSeconds = Math.Max(_coveredSeconds, (int)snapshot.Duration.TotalSeconds);
                    _finalArrived |= update.Snapshot.Final;
                    onSnapshot();
                    if (update.Snapshot.Final)
                    {
                        if (update.Snapshot.StoppedBecause.Length > 0)
                        {
                            Lost = $"it stopped its load early: {update.Snapshot.StoppedBecause}";
                        }

                        return;
                    }
                }
            }

            Lost = "its stream ended before the final snapshot";
        }
        catch (RpcException exception) when (!cancellationToken.IsCancellationRequested)
        {
            Lost = $"its stream broke: {exception.StatusCode}, {exception.Status.Detail}";
        }
        catch (Exception exception) when (cancellationToken.IsCancellationRequested && exception is RpcException or OperationCanceledException)
        {
            // The run was stopped here; what arrived is kept.
        }
    }

    /// <summary>
    /// Seconds up to <paramref name="lastSecond"/> that no snapshot of this worker covered: those after its last one when
    /// it was lost. A second without a timeline point is not a gap: the worker had nothing to count in it (no VU of its
    /// segment, or none finished a call), and its next snapshot said so.
    /// </summary>
    public IReadOnlyList<int> MissingSeconds(int lastSecond) =>
        _finalArrived || _coveredSeconds > lastSecond ? [] : [.. Enumerable.Range(_coveredSeconds, lastSecond - _coveredSeconds + 1)];

    public void Dispose()
    {
        _call?.Dispose();
        _channel.Dispose();
        _writing.Dispose();
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
