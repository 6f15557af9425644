using System.Diagnostics;
using LoadKit.Results;
using LoadKit.Telemetry;

namespace LoadKit.Stats;

/// <summary>
/// Records the calls of one step (or the iterations of a scenario). VUs write into stripes chosen by the
/// processor they run on, each behind its stripe of the scenario's <see cref="StripedRecordLock"/> (shared by all the
/// scenario's recorders, so an iteration's last records take one lock), so no lock is shared by all VUs, writers on
/// different processors never contend, and a write allocates nothing in steady state. One collector reads: each second
/// it swaps every stripe's active half for its quiet one (under that stripe's lock, a reference swap) and folds
/// the quiet half, outside the lock, into a timeline point and the running total.
/// </summary>
internal sealed class StepRecorder : IIntervalSource
{
    private readonly StripedRecordLock _locks;
    private readonly Stripe[] _stripes;
    private readonly ErrorTable _errors = new();
    private readonly Interval _scratch = new(LatencyAccumulator.ForTotals);
    private readonly Interval _total = new(LatencyAccumulator.ForTotals);
    private readonly TimelinePoints<TimelinePoint> _timeline = new(p => p.Second);
    private bool _ended;
    private WebSocketCounts? _webSocket;

    private readonly StepTelemetry? _telemetry;

    /// <param name="name">The step's name.</param>
    /// <param name="locks">The scenario's record locks; null: locks of its own.</param>
    /// <param name="telemetry">Where calls are also published as live metrics; null for what is not a step (iterations, lag).</param>
    public StepRecorder(string name, StripedRecordLock? locks = null, StepTelemetry? telemetry = null)
    {
        Name = name;
        _telemetry = telemetry;
        _locks = locks ?? new StripedRecordLock();
        _stripes = new Stripe[_locks.Count];
        for (var i = 0; i < _stripes.Length; i++)
        {
            _stripes[i] = new Stripe();
        }
    }

    public string Name { get; }

    /// <summary>What the step records under names of its own (page metrics); null for what is not a step.</summary>
    public MeasurementRecorders? Measurements { get; init; }

    /// <summary>Records one call. Safe from any number of threads; allocates nothing.</summary>
    public void Record(Outcome outcome, long microseconds) => Record(outcome, microseconds, microseconds);

    /// <summary>
    /// Records one call whose iteration was scheduled before it started (open models, pacing):
    /// <paramref name="fromScheduled"/> adds the iteration's start lag to the service time.
    /// </summary>
    public void Record(Outcome outcome, long microseconds, long fromScheduled)
    {
        using (var held = _locks.Enter())
        {
            _stripes[held.Stripe].Active.Record(outcome, microseconds, fromScheduled);
        }

        _telemetry?.Record(outcome, microseconds);
    }

    /// <summary>Records one call under a stripe of the scenario's record lock that the caller holds (this recorder's locks).</summary>
    public void Record(in StripedRecordLock.Held held, Outcome outcome, long microseconds, long fromScheduled)
    {
        Debug.Assert(_locks[held.Stripe].IsHeldByCurrentThread, "the stripe is held, and it is this recorder's");
        _stripes[held.Stripe].Active.Record(outcome, microseconds, fromScheduled);
        _telemetry?.Record(outcome, microseconds);
    }

    /// <summary>Counts one HTTP request's status, body bytes and time to headers. Allocates nothing once each status seen has been seen in both halves of the stripe.</summary>
    public void RecordHttp(int statusCode, long bodyBytesSent, long bodyBytesReceived, long timeToHeadersMicroseconds)
    {
        using var held = _locks.Enter();
        _stripes[held.Stripe].Active.HttpCounts.Record(statusCode, bodyBytesSent, bodyBytesReceived, timeToHeadersMicroseconds);
    }

    /// <summary>The step's WebSocket connections; created by the first connection event (most steps have none).</summary>
    public WebSocketCounts WebSocket
    {
        get
        {
            if (Volatile.Read(ref _webSocket) is { } counts)
            {
                return counts;
            }

            Interlocked.CompareExchange(ref _webSocket, new WebSocketCounts(), null);
            return _webSocket;
        }
    }

    /// <summary>
    /// Counts what gRPC calls did: a call's status (0 to 16; -1: none), messages sent and received, connections opened.
    /// Allocates nothing once the stripe's halves have counted gRPC.
    /// </summary>
    public void RecordGrpc(int statusCode = -1, long sent = 0, long received = 0, long connections = 0)
    {
        using var held = _locks.Enter();
        _stripes[held.Stripe].Active.GrpcCounts.Add(statusCode, sent, received, connections);
    }

    /// <summary>Counts an error message (failure path only: it may allocate).</summary>
    public void RecordError(string message) => _errors.Add(message);

    /// <summary>Closes the interval numbered <paramref name="second"/>. Called by one collector thread only.</summary>
    public void CollectInterval(int second)
    {
        if (!_ended)
        {
            EndInterval();
        }

        _ended = false;
        foreach (var stripe in _stripes)
        {
            // No writer can reach the quiet half: writers only touch Active, and only under the lock.
            stripe.Quiet.AddTo(_scratch);
            stripe.Quiet.Reset();
        }

        _timeline.Add(new TimelinePoint(
            second,
            _scratch.Ok.Count,
            _scratch.Failed.Count,
            _scratch.TimedOut,
            _scratch.Ok.ToDistribution()));
        _scratch.AddTo(_total);
        _scratch.Reset();
    }

    /// <summary>Swaps every stripe's active half for its quiet one, which holds the interval until it is collected. Collector thread only.</summary>
    public void EndInterval()
    {
        for (var i = 0; i < _stripes.Length; i++)
        {
            // Reentrant: the collector may hold every stripe already (StripedRecordLock.HoldAll).
            lock (_locks[i])
            {
                (_stripes[i].Active, _stripes[i].Quiet) = (_stripes[i].Quiet, _stripes[i].Active);
            }
        }

        _ended = true;
    }

    public void ForgetBefore(int second) => _timeline.ForgetBefore(second);

    /// <summary>Calls counted in the collected totals, whatever their outcome (collector thread only).</summary>
    public long CollectedCalls => _total.Calls;

    /// <summary>
    /// Every call recorded so far, collected or not. Only while no interval is being collected (under
    /// <c>StatsCollector.WhileNotCollecting</c>): then the quiet halves are empty and the totals do not move.
    /// </summary>
    public long RecordedCalls()
    {
        var calls = _total.Calls;
        for (var i = 0; i < _stripes.Length; i++)
        {
            lock (_locks[i])
            {
                calls += _stripes[i].Active.Calls + _stripes[i].Quiet.Calls;
            }
        }

        return calls;
    }

    /// <summary>The statistics collected so far (call after the last <see cref="CollectInterval"/>).</summary>
    public StepStats ToStats(TimeSpan duration) => new(
        Name,
        _total.Ok.Count,
        _total.Failed.Count,
        _total.TimedOut,
        _total.Cancelled,
        duration,
        _total.Ok.ToDistribution(),
        _total.OkFromScheduled.ToDistribution(),
        _total.Failed.ToDistribution(),
        _errors.ToList(),
        _timeline.Read())
    {
        Http = _total.Http?.ToStats(),
        WebSocket = Volatile.Read(ref _webSocket)?.ToStats(),
        Grpc = _total.Grpc?.ToStats(),
    };

    private sealed class Stripe
    {
        public Interval Active = new(LatencyAccumulator.ForInterval);
        public Interval Quiet = new(LatencyAccumulator.ForInterval);
    }

    /// <summary>What one stripe (or the collector) has counted over an interval.</summary>
    private sealed class Interval(Func<LatencyAccumulator> create)
    {
        /// <summary>Null until the step makes its first HTTP request: most steps make none.</summary>
        public HttpCounts? Http { get; private set; }

        public HttpCounts HttpCounts => Http ??= new HttpCounts(create);

        /// <summary>Null until the step makes its first gRPC call: most steps make none.</summary>
        public GrpcCounts? Grpc { get; private set; }

        public GrpcCounts GrpcCounts => Grpc ??= new GrpcCounts();

        public LatencyAccumulator Ok { get; } = create();

        public LatencyAccumulator OkFromScheduled { get; } = create();

        public LatencyAccumulator Failed { get; } = create();

        public long TimedOut { get; private set; }

        public long Cancelled { get; private set; }

        public long Calls => Ok.Count + Failed.Count + TimedOut + Cancelled;

        public void Record(Outcome outcome, long microseconds, long fromScheduled)
        {
            switch (outcome)
            {
                case Outcome.Ok:
                    Ok.Record(microseconds);
                    OkFromScheduled.Record(fromScheduled);
                    break;
                case Outcome.Failed:
                    Failed.Record(microseconds);
                    break;
                case Outcome.TimedOut:
                    TimedOut++;
                    break;
                default:
                    Cancelled++;
                    break;
            }
        }

        public void AddTo(Interval target)
        {
            Ok.AddTo(target.Ok);
            OkFromScheduled.AddTo(target.OkFromScheduled);
            Failed.AddTo(target.Failed);
            target.TimedOut += TimedOut;
            target.Cancelled += Cancelled;
            Http?.AddTo(target.HttpCounts);
            Grpc?.AddTo(target.GrpcCounts);
        }

        public void Reset()
        {
            Ok.Reset();
            OkFromScheduled.Reset();
            Failed.Reset();
            TimedOut = 0;
            Cancelled = 0;
            Http?.Reset();
            Grpc?.Reset();
        }
    }
}
