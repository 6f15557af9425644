namespace LoadKit.Cluster;

/// <summary>
/// One worker's calls (all steps) and health in its latest seconds, added up from its incremental snapshots: what a
/// live view shows of it in the controller's current second. A ring of a fixed number of seconds, so it costs the
/// same however long the run; the current second trails a worker's latest by a second or two, well within it.
/// </summary>
internal sealed class RecentSeconds
{
    /// <summary>How many seconds are kept.</summary>
    internal const int Kept = 32;

    private readonly Slot[] _slots = new Slot[Kept];
    private HealthSample? _latestHealth;

    /// <summary>The processors of the worker, as its snapshots said; 0 before the first that did.</summary>
    public int Cores { get; private set; }

    /// <summary>Adds what a snapshot measured (its interval): each step's timeline points and each health sample into its second.</summary>
    public void Add(LoadResult interval)
    {
        foreach (var scenario in interval.Scenarios)
        {
            foreach (var step in scenario.Steps)
            {
                foreach (var point in step.Timeline)
                {
                    // A second can come in two snapshots (its points so far, then the rest): its calls add up.
                    At(point.Second).Calls += point.Ok + point.Failed + point.TimedOut;
                }
            }
        }

        foreach (var generator in interval.Generators)
        {
            Cores = generator.Cores;
            foreach (var sample in generator.Samples)
            {
                At(sample.Second).Health = sample;
                _latestHealth = _latestHealth is null || sample.Second >= _latestHealth.Second ? sample : _latestHealth;
            }
        }
    }

    /// <summary>The calls of <paramref name="second"/>; 0 when none were reported or it is no longer kept.</summary>
    public long Calls(int second) => Find(second)?.Calls ?? 0;

    /// <summary>The health sample of <paramref name="second"/>, else the latest one (null before the first).</summary>
    public HealthSample? Health(int second) => Find(second)?.Health ?? _latestHealth;

    private Slot? Find(int second) => second >= 0 && _slots[second % Kept] is { } slot && slot.Second == second ? slot : null;

    private Slot At(int second)
    {
        var index = second % Kept;
        if (_slots[index] is not { } slot || slot.Second != second)
        {
            // An older second than the one kept here is ignored in effect: the slot goes to the newer one.
            if (_slots[index] is { } kept && kept.Second > second)
            {
                return new Slot(second);
            }

            slot = new Slot(second);
            _slots[index] = slot;
        }

        return slot;
    }

    private sealed class Slot(int second)
    {
        public int Second { get; } = second;

        public long Calls { get; set; }

        public HealthSample? Health { get; set; }
    }
}
