using LoadKit.Results;
using LoadKit.Telemetry;

namespace LoadKit.Stats;

/// <summary>
/// Records the calls of one step (or the iterations of a scenario). VUs write into stripes chosen by the
/// processor they run on, each behind its own lock, so no lock is shared by all VUs, writers on different
/// processors never contend, and a write allocates nothing in steady state. One collector reads: each second
/// it swaps every stripe's active half for its quiet one (under that stripe's lock, a reference swap) and folds
/// the quiet half, outside the lock, into a timeline point and the running total.
/// </summary>
internal sealed class StepRecorder : IIntervalSource
{
    /// <summary>More stripes would cost memory and collector time for little less contention.</summary>
    private const int MaxStripes = 8;

    private readonly Stripe[] _stripes;
    private readonly int _stripeMask;
    private readonly ErrorTable _errors = new();
    private readonly Interval _scratch = new(LatencyAccumulator.ForTotals);
    private readonly Interval _total = new(LatencyAccumulator.ForTotals);
    private readonly TimelinePoints<TimelinePoint> _timeline = new(p => p.Second);
    private bool _ended;
    private WebSocketCounts? _webSocket;
    private GrpcCounts? _grpc;

    private readonly StepTelemetry? _telemetry;

    /// <param name="name">The step's name.</param>
    /// <param name="telemetry">Where calls are also published as live metrics; null for what is not a step (iterations, lag).</param>
    public StepRecorder(string name, StepTelemetry? telemetry = null)
    {
        Name = name;
        _telemetry = telemetry;
        var count = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Min(Environment.ProcessorCount, MaxStripes));
        _stripes = new Stripe[count];
        for (var i = 0; i < count; i++)
        {
            _stripes[i] = new Stripe();
        }

        _stripeMask = count - 1;
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
        var stripe = _stripes[Thread.GetCurrentProcessorId() & _stripeMask];
        lock (stripe.Lock)
        {
            stripe.Active.Record(outcome, microseconds, fromScheduled);
        }

        _telemetry?.Record(outcome, microseconds);
    }

    /// <summary>Counts one HTTP request's status, body bytes and time to headers. Allocates nothing once each status seen has been seen in both halves of the stripe.</summary>
    public void RecordHttp(int statusCode, long bodyBytesSent, long bodyBytesReceived, long timeToHeadersMicroseconds)
    {
        var stripe = _stripes[Thread.GetCurrentProcessorId() & _stripeMask];
        lock (stripe.Lock)
        {
            stripe.Active.HttpCounts.Record(statusCode, bodyBytesSent, bodyBytesReceived, timeToHeadersMicroseconds);
        }
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

    /// <summary>The step's gRPC calls; created by the first one (most steps make none).</summary>
    public GrpcCounts Grpc => LazyInitializer.EnsureInitialized(ref _grpc);

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
        foreach (var stripe in _stripes)
        {
            lock (stripe.Lock)
            {
                (stripe.Active, stripe.Quiet) = (stripe.Quiet, stripe.Active);
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
        foreach (var stripe in _stripes)
        {
            lock (stripe.Lock)
            {
                calls += stripe.Active.Calls + stripe.Quiet.Calls;
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
        Grpc = Volatile.Read(ref _grpc)?.ToStats(),
    };

    private sealed class Stripe
    {
        public readonly Lock Lock = new();
        public Interval Active = new(LatencyAccumulator.ForInterval);
        public Interval Quiet = new(LatencyAccumulator.ForInterval);
    }

    /// <summary>What one stripe (or the collector) has counted over an interval.</summary>
    private sealed class Interval(Func<LatencyAccumulator> create)
    {
        /// <summary>Null until the step makes its first HTTP request: most steps make none.</summary>
        public HttpCounts? Http { get; private set; }

        public HttpCounts HttpCounts => Http ??= new HttpCounts(create);

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
            if (Http is not null)
            {
                Http.AddTo(target.HttpCounts);
            }
        }

        public void Reset()
        {
            Ok.Reset();
            OkFromScheduled.Reset();
            Failed.Reset();
            TimedOut = 0;
            Cancelled = 0;
            Http?.Reset();
        }
    }
}
