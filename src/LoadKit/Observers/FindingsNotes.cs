using LoadKit.Results;
using LoadKit.Workload;

namespace LoadKit.Observers;

/// <summary>
/// Adds to a run's result the notes of what its tables could hide (<see cref="RunFindings"/>): a step that failed the
/// same way from its start, and in a closed model, seconds in which the system stalled and the load paused with it.
/// Works on the final (in a distributed run, merged) result only.
/// </summary>
internal sealed class FindingsNotes(HashSet<string> closedScenarios) : IRunObservation
{
    /// <summary>Notes the findings of every run.</summary>
    public static IRunObserver Observer { get; } = new NotesObserver();

    /// <inheritdoc />
    public bool WantsSnapshots => false;

    /// <inheritdoc />
    public void OnStarted(long startTimestamp)
    {
    }

    /// <inheritdoc />
    public void OnSnapshot(RunSnapshot snapshot)
    {
    }

    /// <inheritdoc />
    public LoadResult OnCompleted(LoadResult result)
    {
        string[] notes =
        [
            .. result.Scenarios.SelectMany(s => RunFindings.FailingFromTheStart(s).Select(f => f.Note(s.Name))),
            .. result.Scenarios.Where(s => closedScenarios.Contains(s.Name)).SelectMany(s => RunFindings.Stalls(s).Select(f => f.Note(s.Name))),
        ];
        return notes.Length == 0 ? result : result with { Notes = [.. result.Notes, .. notes] };
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class NotesObserver : IRunObserver
    {
        public IRunObservation? Observe(RunPlan plan, RunControl control) =>
            new FindingsNotes([.. plan.Scenarios.Where((s, i) => plan.Loads[i].Blocks.All(b => b is not ArrivalBlock)).Select(s => s.Name)]);
    }
}
