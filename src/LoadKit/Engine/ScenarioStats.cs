using LoadKit.Stats;

namespace LoadKit.Engine;

/// <summary>The recorders of one scenario run, indexed like the scenario's steps.</summary>
internal sealed class ScenarioStats
{
    public ScenarioStats(Scenario scenario)
    {
        Steps = scenario.Steps.Select(s => new StepRecorder(s.Name)).ToArray();
        Iterations = new StepRecorder("iteration");
        Init = scenario.Init is null ? null : new StepRecorder("init");
        Cleanup = scenario.Cleanup is null ? null : new StepRecorder("cleanup");
    }

    public StepRecorder[] Steps { get; }

    public StepRecorder Iterations { get; }

    public StepRecorder? Init { get; }

    public StepRecorder? Cleanup { get; }

    public IEnumerable<StepRecorder> All =>
        Steps.Append(Iterations).Concat(new[] { Init, Cleanup }.OfType<StepRecorder>());
}
