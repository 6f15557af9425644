using LoadKit.Telemetry;

namespace LoadKit.Stats;

/// <summary>
/// What a scenario (or its warm-up) counts besides its steps: the VUs active, iterations dropped by an open model (no free VU at
/// their time) and iterations started late by pacing, with a point per second, and the scheduling lag.
/// </summary>
internal sealed class ScenarioGauges(ActiveUsers activeUsers, bool isWarmUp, StripedRecordLock? locks = null, ScenarioTelemetry? telemetry = null) : IIntervalSource
{
    private readonly TimelinePoints<ScenarioTimelinePoint> _timeline = new(p => p.Second);
    private long _dropped;
    private long _late;
    private long _droppedCollected;
    private long _lateCollected;

    /// <summary>Start lag of scheduled iterations (open models, pacing): actual start minus scheduled start.</summary>
    public StepRecorder Lag { get; } = new("scheduling lag", locks);

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Late => Interlocked.Read(ref _late);

    public int PeakUsers => isWarmUp ? activeUsers.PeakWarmUp : activeUsers.PeakMeasured;

    /// <summary>One point per second so far (a reading that does not change); active VUs are those of the whole scenario at that instant.</summary>
    public IReadOnlyList<ScenarioTimelinePoint> Timeline => _timeline.Read();

    public void IterationDropped()
    {
        Interlocked.Increment(ref _dropped);
        telemetry?.IterationDropped();
    }

    public void IterationLate() => Interlocked.Increment(ref _late);

    public void CollectInterval(int second)
    {
        var dropped = Dropped;
        var late = Late;
        activeUsers.Sample();
        _timeline.Add(new ScenarioTimelinePoint(second, activeUsers.Current, dropped - _droppedCollected, late - _lateCollected));
        _droppedCollected = dropped;
        _lateCollected = late;
        Lag.CollectInterval(second);
    }

    public void ForgetBefore(int second)
    {
        _timeline.ForgetBefore(second);
        Lag.ForgetBefore(second);
    }
}
