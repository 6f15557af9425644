namespace LoadKit;

/// <summary>
/// Something that watches runs: thresholds, the progress line, a metrics exporter, a live page. For each run it is
/// asked for an observation, which receives the run's merged statistics once a second and the final result. An
/// observer never reaches into the engine: it sees what every other observer sees, wherever the run executes.
/// </summary>
public interface IRunObserver
{
    /// <summary>Starts watching a run that is about to start; null: nothing to watch in this one.</summary>
    /// <param name="plan">The run.</param>
    /// <param name="control">Lets the observation stop the run early (a threshold that aborts on failure).</param>
    IRunObservation? Observe(RunPlan plan, RunControl control);
}

/// <summary>One observer's watch over one run. Its methods are never called concurrently.</summary>
public interface IRunObservation : IAsyncDisposable
{
    /// <summary>
    /// Whether it needs the per-second snapshots now. A run whose observations want none builds none, so a run that
    /// nobody watches pays nothing for them.
    /// </summary>
    bool WantsSnapshots { get; }

    /// <summary>Called when the run's clock starts (in a distributed run, at the shared start instant).</summary>
    /// <param name="startTimestamp">The <see cref="System.Diagnostics.Stopwatch"/> timestamp of the start (may be slightly ahead).</param>
    void OnStarted(long startTimestamp);

    /// <summary>The statistics so far, merged over every process of the run. Must return quickly.</summary>
    void OnSnapshot(RunSnapshot snapshot);

    /// <summary>Something happened during the run (a worker's log line, a take-over, a loss). Must return quickly.</summary>
    void OnEvent(RunEvent runEvent)
    {
    }

    /// <summary>
    /// Called once with the final result; returns it, with what this observation adds (threshold outcomes, notes).
    /// An exception here is reported in the result's notes, never fails the run.
    /// </summary>
    LoadResult OnCompleted(LoadResult result);
}

/// <summary>
/// The statistics of a run so far: each scenario's totals and timeline, merged over every process. In a distributed
/// run the timelines hold only their first seconds and the controller's current second (the latest one every live
/// worker has sent), so a snapshot costs the same however long the run; the totals are exact.
/// </summary>
/// <param name="Scenarios">Every scenario that reported so far.</param>
public sealed record RunSnapshot(IReadOnlyList<ScenarioResult> Scenarios)
{
    /// <summary>Each load process of the run (this process, or each worker) in the current second; empty where the target tells none.</summary>
    public IReadOnlyList<GeneratorSnapshot> Generators { get; init; } = [];
}

/// <summary>One load process of a run as a live view shows it: its calls and health in the run's current second.</summary>
/// <param name="Process">Which process: the worker's id in a distributed run, else the host name and process id.</param>
/// <param name="Segment">The part of the load it runs, as the worker table shows it (e.g. <c>(0, 1/2]</c>); null in a local run.</param>
/// <param name="Lost">Why it was lost; null while it runs or after it finished normally.</param>
/// <param name="Second">The second of the run these figures are of.</param>
/// <param name="CallsPerSecond">Calls (all steps) it completed in that second.</param>
/// <param name="Cores">The cores it can use (<see cref="HealthSample.CpuPercent"/> is of all of them).</param>
/// <param name="Health">Its CPU, memory and garbage collections in that second; null before its first sample.</param>
public sealed record GeneratorSnapshot(string Process, string? Segment, string? Lost, int Second, double CallsPerSecond, int Cores, HealthSample? Health);

/// <summary>What an observation may do to the run it watches.</summary>
public sealed class RunControl
{
    private readonly CancellationTokenSource _stop = new();
    private string? _reason;

    internal RunControl()
    {
    }

    /// <summary>Cancelled when an observation stopped the run.</summary>
    public CancellationToken StopRequested => _stop.Token;

    /// <summary>Why the run was stopped early; null while it was not.</summary>
    public string? StopReason => Volatile.Read(ref _reason);

    /// <summary>Ends the load early, as if its time were up: statistics so far are kept and every process reports its final figures.</summary>
    /// <param name="reason">Why, as a sentence: it becomes a note of the result (e.g. <c>The run was stopped by the operator.</c>).</param>
    public void Stop(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (Interlocked.CompareExchange(ref _reason, reason, null) is null)
        {
            _stop.Cancel();
        }
    }

    internal void Dispose() => _stop.Dispose();
}
