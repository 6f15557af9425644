namespace LoadKit.Stats;

/// <summary>
/// The named measurements one step records (<see cref="StepContext.Record(string, TimeSpan)"/>): a recorder per name,
/// created on the name's first use and named "step › measurement". Lookups scan a small copy-on-write array (a step
/// records a handful of names), so recording allocates nothing once each name has been seen; the collector treats the
/// set as one interval source and reaches recorders created since its last tick.
/// </summary>
internal sealed class MeasurementRecorders(string stepName) : IIntervalSource
{
    /// <summary>Between a step's name and a measurement's in the measurement's statistics: "home › lcp".</summary>
    public const string Separator = " › ";

    private readonly Lock _adding = new();
    private volatile Entry[] _entries = [];

    public StepRecorder Get(string measurement)
    {
        foreach (var entry in _entries)
        {
            if (ReferenceEquals(entry.Measurement, measurement) || string.Equals(entry.Measurement, measurement, StringComparison.Ordinal))
            {
                return entry.Recorder;
            }
        }

        lock (_adding)
        {
            foreach (var entry in _entries)
            {
                if (string.Equals(entry.Measurement, measurement, StringComparison.Ordinal))
                {
                    return entry.Recorder;
                }
            }

            var recorder = new StepRecorder(stepName + Separator + measurement);
            _entries = [.. _entries, new Entry(measurement, recorder)];
            return recorder;
        }
    }

    public bool IsEmpty => _entries.Length == 0;

    public void EndInterval()
    {
        foreach (var entry in _entries)
        {
            entry.Recorder.EndInterval();
        }
    }

    public void CollectInterval(int second)
    {
        // A recorder added after EndInterval ends its own interval when collected.
        foreach (var entry in _entries)
        {
            entry.Recorder.CollectInterval(second);
        }
    }

    public void ForgetBefore(int second)
    {
        foreach (var entry in _entries)
        {
            entry.Recorder.ForgetBefore(second);
        }
    }

    public IEnumerable<StepStats> ToStats(TimeSpan duration) => _entries.Select(e => e.Recorder.ToStats(duration));

    private sealed record Entry(string Measurement, StepRecorder Recorder);
}
