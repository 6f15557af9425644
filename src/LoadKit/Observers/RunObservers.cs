namespace LoadKit;

/// <summary>
/// Every observation of one run, as the run target sees them: the target reports the start and the merged statistics
/// once a second, and stops the load when <see cref="StopRequested"/> fires. Calls are serialised here, so each
/// observation sees one call at a time.
/// </summary>
public sealed class RunObservers
{
    private readonly IRunObservation[] _observations;
    private readonly List<string> _notes = [];
    private readonly Lock _calls = new();

    private RunObservers(IRunObservation[] observations, RunControl control)
    {
        _observations = observations;
        Control = control;
    }

    /// <summary>Whether any observation needs snapshots now.</summary>
    public bool WantsSnapshots
    {
        get
        {
            foreach (var observation in _observations)
            {
                if (observation is { WantsSnapshots: true })
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Cancelled when an observation stopped the run early.</summary>
    public CancellationToken StopRequested => Control.StopRequested;

    /// <summary>Why an observation stopped the run; null while none did.</summary>
    public string? StopReason => Control.StopReason;

    internal RunControl Control { get; }

    /// <summary>Asks each observer to watch <paramref name="plan"/>.</summary>
    internal static RunObservers Observe(RunPlan plan, IEnumerable<IRunObserver> observers)
    {
        var control = new RunControl();
        return new RunObservers([.. observers.Select(o => o.Observe(plan, control)).OfType<IRunObservation>()], control);
    }

    /// <summary>Tells every observation that the run's clock starts at <paramref name="startTimestamp"/>.</summary>
    public void Started(long startTimestamp) => Each(o => o.OnStarted(startTimestamp));

    /// <summary>Hands every observation the latest merged statistics.</summary>
    public void Publish(RunSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Each(o => o.OnSnapshot(snapshot));
    }

    /// <summary>Tells every observation what happened (a worker's log line, a take-over, a loss).</summary>
    public void Tell(RunEvent runEvent)
    {
        ArgumentNullException.ThrowIfNull(runEvent);
        Each(o => o.OnEvent(runEvent));
    }

    /// <summary>Gives each observation the final result in turn, ends them, and adds the notes of any that failed.</summary>
    internal async Task<LoadResult> CompleteAsync(LoadResult result)
    {
        foreach (var observation in _observations)
        {
            try
            {
                lock (_calls)
                {
                    result = observation.OnCompleted(result);
                }
            }
            catch (Exception exception)
            {
                Failed(observation, exception);
            }
        }

        await DisposeAsync().ConfigureAwait(false);

        // A run an observation stopped says why: the reason is the note (a threshold's, the control page's Stop, yours).
        if (StopReason is { } reason)
        {
            _notes.Insert(0, reason);
        }

        return _notes.Count == 0 ? result : result with { Notes = [.. result.Notes, .. _notes] };
    }

    /// <summary>Ends every observation (also when the run failed).</summary>
    internal async ValueTask DisposeAsync()
    {
        foreach (var observation in _observations)
        {
            try
            {
                await observation.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                Failed(observation, exception);
            }
        }

        Array.Clear(_observations);
        Control.Dispose();
    }

    private void Each(Action<IRunObservation> call)
    {
        lock (_calls)
        {
            foreach (var observation in _observations)
            {
                if (observation is null)
                {
                    continue;
                }

                try
                {
                    call(observation);
                }
                catch (Exception exception)
                {
                    Failed(observation, exception);
                }
            }
        }
    }

    /// <summary>A failing observer is reported once in the result, never fatal (NBomber's reporting sinks).</summary>
    private void Failed(IRunObservation observation, Exception exception)
    {
        lock (_notes)
        {
            var note = $"Run observer {observation.GetType().Name} failed: {exception.GetType().Name}: {exception.Message}";
            if (!_notes.Contains(note))
            {
                _notes.Add(note);
            }
        }
    }
}
