using LoadKit.Feeds;
using LoadKit.Stats;
using LoadKit.Workload;

namespace LoadKit.Engine.Executors;

/// <summary>What the executors of one engine's run share: its VUs and their stop rules, statistics, feeds and progress.</summary>
internal sealed class ExecutorContext(
    Scenario scenario,
    SegmentShare share,
    VirtualUsers users,
    ScenarioStats measured,
    ScenarioStats? warmUp,
    FeedRun feeds,
    StatsCollector collector,
    IterationProgressTracker progress)
{
    public Scenario Scenario { get; } = scenario;

    /// <summary>The part of the load this process owns.</summary>
    public SegmentShare Share { get; } = share;

    /// <summary>The engine's VUs, and how a block ends them.</summary>
    public VirtualUsers Users { get; } = users;

    /// <summary>The measured part's statistics.</summary>
    public ScenarioStats Measured { get; } = measured;

    /// <summary>The warm-up's statistics; null when no block to run has a warm-up.</summary>
    public ScenarioStats? WarmUp { get; } = warmUp;

    /// <summary>The VUs running now, shared by the measured part and the warm-up.</summary>
    public ActiveUsers ActiveUsers => Measured.ActiveUsers;

    public FeedRun Feeds { get; } = feeds;

    /// <summary>The run's single reader of the statistics.</summary>
    public StatsCollector Collector { get; } = collector;

    /// <summary>How far the last iteration-counted block started has got.</summary>
    public IterationProgressTracker Progress { get; } = progress;
}
