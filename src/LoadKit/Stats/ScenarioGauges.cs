namespace LoadKit.Stats;

/// <summary>
/// What a scenario counts besides its steps: VUs active now, iterations dropped by an open model (no free VU at
/// their time) and iterations started late by pacing, with a point per second, and the scheduling lag.
/// </summary>
internal sealed class ScenarioGauges : IIntervalSource
{
    private readonly List<ScenarioTimelinePoint> _timeline = [];
    private int _activeUsers;
    private int _peakUsers;
    private long _dropped;
    private long _late;
    private long _droppedCollected;
    private long _lateCollected;

    /// <summary>Start lag of scheduled iterations (open models, pacing): actual start minus scheduled start.</summary>
    public StepRecorder Lag { get; } = new("scheduling lag");

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Late => Interlocked.Read(ref _late);

    public int PeakUsers => Volatile.Read(ref _peakUsers);

    public IReadOnlyList<ScenarioTimelinePoint> Timeline => _timeline;

    public void UserStarted()
    {
        var active = Interlocked.Increment(ref _activeUsers);
        int peak;
        while (active > (peak = Volatile.Read(ref _peakUsers)) && Interlocked.CompareExchange(ref _peakUsers, active, peak) != peak)
        {
        }
    }

    public void UserStopped() => Interlocked.Decrement(ref _activeUsers);

    public void IterationDropped() => Interlocked.Increment(ref _dropped);

    public void IterationLate() => Interlocked.Increment(ref _late);

    public void CollectInterval(int second)
    {
        var dropped = Dropped;
        var late = Late;
        _timeline.Add(new ScenarioTimelinePoint(second, Volatile.Read(ref _activeUsers), dropped - _droppedCollected, late - _lateCollected));
        _droppedCollected = dropped;
        _lateCollected = late;
        Lag.CollectInterval(second);
    }
}
