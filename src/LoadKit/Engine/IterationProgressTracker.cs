using LoadKit.Stats;
using LoadKit.Workload;

namespace LoadKit.Engine;

/// <summary>
/// Follows the last iteration-counted block started, for the progress reports that go with each second's statistics:
/// written while the collector is not collecting, read by the collector.
/// </summary>
internal sealed class IterationProgressTracker
{
    private IterationProgress _started = IterationProgress.None;
    private StepRecorder? _startedRecorder;
    private long _recordedBeforeStart;
    private long _recordedInBlock = long.MaxValue;

    /// <summary>
    /// Block <paramref name="index"/> starts, recording its iterations in <paramref name="recorder"/>. The VUs of earlier
    /// blocks have all returned (or were abandoned): what they recorded is the baseline.
    /// </summary>
    public void Started(StatsCollector collector, int index, StepRecorder recorder) =>
        collector.WhileNotCollecting(() =>
        {
            _recordedBeforeStart = recorder.RecordedCalls();
            _recordedInBlock = long.MaxValue;
            _started = new IterationProgress(index, 0);
            _startedRecorder = recorder;
            return true;
        });

    /// <summary>The block started last has ended; its VUs have returned (abandoned ones aside): its count is final, whatever later blocks record.</summary>
    public void Ended(StatsCollector collector, StepRecorder recorder) =>
        collector.WhileNotCollecting(() => _recordedInBlock = recorder.RecordedCalls() - _recordedBeforeStart);

    /// <summary>How far the last iteration-counted block started has got in the totals just collected (collector thread).</summary>
    /// <remarks>
    /// The block's iterations are all recorded before a later block's, so of the calls collected above the baseline,
    /// the first up to the block's final count are the block's.
    /// </remarks>
    public IterationProgress Current() => _startedRecorder is { } recorder
        ? _started with { Completed = Math.Min(_recordedInBlock, recorder.CollectedCalls - _recordedBeforeStart) }
        : IterationProgress.None;
}
