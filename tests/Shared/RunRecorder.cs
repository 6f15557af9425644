using System.Collections.Concurrent;

namespace LoadKit.TestTargets;

/// <summary>An observer that keeps every event and snapshot of the runs it watches, for tests to read.</summary>
internal sealed class RunRecorder : IRunObserver
{
    private readonly ConcurrentQueue<RunEvent> _events = new();
    private readonly ConcurrentQueue<RunSnapshot> _snapshots = new();

    public IReadOnlyList<RunEvent> Events => [.. _events];

    public IReadOnlyList<RunSnapshot> Snapshots => [.. _snapshots];

    public IRunObservation? Observe(RunPlan plan, RunControl control) => new Observation(this);

    /// <summary>Every event, one a line, for a test's output.</summary>
    public string Describe() => string.Join(Environment.NewLine, _events.Select(e => $"{e.At:HH:mm:ss.fff} {e.Kind} {e.Level} {e.Source}: {e.Message}"));

    private sealed class Observation(RunRecorder recorder) : IRunObservation
    {
        public bool WantsSnapshots => true;

        public void OnStarted(long startTimestamp)
        {
        }

        public void OnSnapshot(RunSnapshot snapshot) => recorder._snapshots.Enqueue(snapshot);

        public void OnEvent(RunEvent runEvent) => recorder._events.Enqueue(runEvent);

        public LoadResult OnCompleted(LoadResult result) => result;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
