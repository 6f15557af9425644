using System.Runtime;

namespace LoadKit.Worker.Runs;

/// <summary>
/// A stretch around a run's start instant in which no garbage collection suspends this process: a collection that met
/// the start thread's last spin delays the start by its pause (a 2-worker start seen 0.5 ms apart in a full test run),
/// and one in the first iterations delays the first requests. It ends on <see cref="Dispose"/>, or earlier when the
/// process allocates more than the budget (the runtime then collects as usual). Not a guarantee: one CI run logged a
/// collection during the spin with the stretch begun (that start was 3 µs late all the same).
/// </summary>
internal sealed class StartWithoutCollections : IDisposable
{
    /// <summary>Ample for the start and the first second of a share; committed up front by the runtime.</summary>
    private const long Budget = 16L * 1024 * 1024;

    /// <summary>Of the budget, for large objects (a snapshot's buffers); without it the runtime reserves the whole budget twice.</summary>
    private const long LargeObjectBudget = 4L * 1024 * 1024;

    private bool _held;

    private StartWithoutCollections(bool held, string state) => (_held, State) = (held, state);

    /// <summary>"yes", or why the stretch did not begin: for the worker's log.</summary>
    public string State { get; }

    /// <summary>Begins the stretch; a collection the runtime needs to make room for the budget happens here, before it.</summary>
    public static StartWithoutCollections Begin()
    {
        try
        {
            return GC.TryStartNoGCRegion(Budget, LargeObjectBudget) ? new(true, "yes") : new(false, "refused: the runtime could not commit the budget");
        }
        catch (InvalidOperationException)
        {
            return new(false, "refused: another one is open");
        }
    }

    public void Dispose()
    {
        // A region the allocations outgrew has ended already; ending it again would throw.
        if (_held && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
        {
            GC.EndNoGCRegion();
        }

        _held = false;
    }
}
