using System.Diagnostics;
using LoadKit.Results;

namespace LoadKit.Telemetry;

/// <summary>Publishes one step's calls to <see cref="LoadKitMetrics"/>; its attributes are made once, so a call allocates nothing.</summary>
internal sealed class StepTelemetry(string scenario, string step)
{
    private readonly KeyValuePair<string, object?> _scenario = new(LoadKitMetrics.ScenarioAttribute, scenario);
    private readonly KeyValuePair<string, object?> _step = new(LoadKitMetrics.StepAttribute, step);

    public void Record(Outcome outcome, long microseconds)
    {
        var counter = LoadKitMetrics.RequestCounter;
        var histogram = LoadKitMetrics.DurationHistogram;
        if (!counter.Enabled && !histogram.Enabled)
        {
            return;
        }

        var tags = new TagList { _scenario, _step, LoadKitMetrics.OutcomeTag(outcome) };
        counter.Add(1, in tags);
        histogram.Record(microseconds / 1000.0, in tags);
    }
}

/// <summary>Publishes one scenario's dropped iterations to <see cref="LoadKitMetrics"/>.</summary>
internal sealed class ScenarioTelemetry(string scenario)
{
    private readonly KeyValuePair<string, object?> _scenario = new(LoadKitMetrics.ScenarioAttribute, scenario);

    public void IterationDropped()
    {
        if (LoadKitMetrics.DroppedCounter.Enabled)
        {
            LoadKitMetrics.DroppedCounter.Add(1, _scenario);
        }
    }
}

/// <summary>One engine's VUs in the VU gauge, until disposed.</summary>
internal sealed class UserTracking(Func<int> current) : IDisposable
{
    public Func<int> Current { get; } = current;

    public void Dispose() => LoadKitMetrics.Untrack(this);
}

/// <summary>One health sampler in the CPU gauge, until disposed.</summary>
internal sealed class CpuTracking(Func<double?> latest) : IDisposable
{
    public Func<double?> Latest { get; } = latest;

    public void Dispose() => LoadKitMetrics.Untrack(this);
}
