using HdrHistogram.Utilities;

namespace LoadKit.Stats;

/// <summary>
/// Records the calls of one step (or the iterations of a scenario). VUs write into stripes chosen by the
/// processor they run on; each stripe has its own writer/reader phaser, so no lock or counter is shared by
/// all VUs and a write allocates nothing. One collector reads: each second it flips every stripe,
/// folds the quiet half into a timeline point and the running total.
/// </summary>
internal sealed class StepRecorder
{
    private readonly Stripe[] _stripes;
    private readonly int _stripeMask;
    private readonly ErrorTable _errors = new();
    private readonly Interval _scratch = Interval.Create(concurrent: false);
    private readonly Interval _total = Interval.Create(concurrent: false);
    private readonly List<TimelinePoint> _timeline = [];

    public StepRecorder(string name)
    {
        Name = name;
        var count = (int)Math.Min(64, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Environment.ProcessorCount));
        _stripes = new Stripe[count];
        for (var i = 0; i < count; i++)
        {
            _stripes[i] = new Stripe();
        }

        _stripeMask = count - 1;
    }

    public string Name { get; }

    /// <summary>Records one call. Safe from any number of threads; never blocks, never allocates.</summary>
    public void Record(Outcome outcome, long microseconds)
    {
        var stripe = _stripes[Thread.GetCurrentProcessorId() & _stripeMask];
        var phase = stripe.Phaser.WriterCriticalSectionEnter();
        try
        {
            stripe.Active.Record(outcome, microseconds);
        }
        finally
        {
            stripe.Phaser.WriterCriticalSectionExit(phase);
        }
    }

    /// <summary>Counts an error message (failure path only: it may allocate).</summary>
    public void RecordError(string message) => _errors.Add(message);

    /// <summary>Closes the interval numbered <paramref name="second"/>. Called by one collector thread only.</summary>
    public void CollectInterval(int second)
    {
        foreach (var stripe in _stripes)
        {
            stripe.Phaser.ReaderLock();
            try
            {
                var quiet = stripe.Active;
                stripe.Active = stripe.Inactive;
                stripe.Inactive = quiet;
                stripe.Phaser.FlipPhase(TimeSpan.FromMilliseconds(0.1));
                quiet.AddTo(_scratch);
                quiet.Reset();
            }
            finally
            {
                stripe.Phaser.ReaderUnlock();
            }
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

    /// <summary>The statistics collected so far (call after the last <see cref="CollectInterval"/>).</summary>
    public StepStats ToStats(TimeSpan duration) => new(
        Name,
        _total.Ok.Count,
        _total.Failed.Count,
        _total.TimedOut,
        _total.Cancelled,
        duration,
        _total.Ok.ToDistribution(),
        _total.Failed.ToDistribution(),
        _errors.ToList(),
        [.. _timeline]);

    private sealed class Stripe
    {
        public readonly WriterReaderPhaser Phaser = new();
        public volatile Interval Active = Interval.Create(concurrent: true);
        public Interval Inactive = Interval.Create(concurrent: true);
    }

    /// <summary>What one stripe (or the collector) has counted over an interval.</summary>
    private sealed class Interval(LatencyAccumulator ok, LatencyAccumulator failed)
    {
        private long _timedOut;
        private long _cancelled;

        public LatencyAccumulator Ok { get; } = ok;

        public LatencyAccumulator Failed { get; } = failed;

        public long TimedOut => _timedOut;

        public long Cancelled => _cancelled;

        public static Interval Create(bool concurrent) => concurrent
            ? new(new(Histograms.CreateConcurrent()), new(Histograms.CreateConcurrent()))
            : new(new(Histograms.Create()), new(Histograms.Create()));

        public void Record(Outcome outcome, long microseconds)
        {
            switch (outcome)
            {
                case Outcome.Ok:
                    Ok.Record(microseconds);
                    break;
                case Outcome.Failed:
                    Failed.Record(microseconds);
                    break;
                case Outcome.TimedOut:
                    Interlocked.Increment(ref _timedOut);
                    break;
                default:
                    Interlocked.Increment(ref _cancelled);
                    break;
            }
        }

        public void AddTo(Interval target)
        {
            Ok.AddTo(target.Ok);
            Failed.AddTo(target.Failed);
            target._timedOut += _timedOut;
            target._cancelled += _cancelled;
        }

        public void Reset()
        {
            Ok.Reset();
            Failed.Reset();
            _timedOut = 0;
            _cancelled = 0;
        }
    }
}
