using BenchmarkDotNet.Attributes;
using LoadKit.Engine;
using LoadKit.Feeds;
using LoadKit.Stats;
using LoadKit.Workload;

namespace LoadKit.Benchmarks;

/// <summary>
/// The engine's cost per iteration, without the work of the steps: a VU's closed-model loop (budget check, iteration,
/// step timeout armed and reset, step and iteration recorded) over steps that return at once. Each invoke runs
/// <see cref="IterationsPerInvoke"/> iterations on one VU, so the loop's own start (a state machine and a
/// cancellation source per invoke) is spread over them and what shows is the steady state.
/// </summary>
[MemoryDiagnoser]
public class EngineBenchmarks
{
    private const int IterationsPerInvoke = 1024;

    private VirtualUser _oneStep = null!;
    private Scenario _thinking = null!;
    private ScenarioStats _thinkingStats = null!;
    private FeedRun _thinkingFeeds = null!;
    private VirtualUser _fiveSteps = null!;
    private IdleArrivalUser _scheduled = null!;

    [GlobalSetup]
    public void CreateUsers()
    {
        _oneStep = NewUser(Scenario.Create("one")
            .Step("empty", _ => ValueTask.CompletedTask)
            .WithLoad(Load.ConstantUsers(1, TimeSpan.FromSeconds(1)))
            .Build());
        var five = Scenario.Create("five");
        for (var i = 0; i < 5; i++)
        {
            five.Step($"empty {i + 1}", _ => ValueTask.CompletedTask);
        }

        _fiveSteps = NewUser(five.WithLoad(Load.ConstantUsers(1, TimeSpan.FromSeconds(1))).Build());
        _thinking = Scenario.Create("think")
            .Step("wake", _ => ValueTask.CompletedTask)
            .ThinkTime(TimeSpan.FromSeconds(10))
            .WithLoad(Load.ConstantUsers(1, TimeSpan.FromSeconds(10)))
            .Build();
        _thinkingStats = new ScenarioStats(_thinking, new ActiveUsers(), isWarmUp: false);

        _scheduled = IdleArrivalUser.Of(Scenario.Create("open").Step("empty", _ => ValueTask.CompletedTask));
        _thinkingFeeds = new FeedRun(_thinking.Feeds, _thinking.Name, SegmentShare.Whole);
    }

    [GlobalCleanup]
    public void DisposeUsers()
    {
        _oneStep.Dispose();
        _fiveSteps.Dispose();
        _scheduled.Dispose();
    }

    [Benchmark(OperationsPerInvoke = IterationsPerInvoke, Description = "iteration of one empty step")]
    public Task OneEmptyStep() => _oneStep.RunClosedAsync(new IterationBudget(IterationsPerInvoke, long.MaxValue), 0, CancellationToken.None);

    [Benchmark(OperationsPerInvoke = IterationsPerInvoke, Description = "iteration of five empty steps")]
    public Task FiveEmptySteps() => _fiveSteps.RunClosedAsync(new IterationBudget(IterationsPerInvoke, long.MaxValue), 0, CancellationToken.None);

    /// <summary>
    /// Open model: the scheduler's hand-over of one iteration of an empty step to an idle VU (mailbox), as the scheduler
    /// does it while starts are quick: the VU runs the iteration on this thread and returns to the pool.
    /// </summary>
    [Benchmark(OperationsPerInvoke = IterationsPerInvoke, Description = "open model: iteration started on the scheduler's thread")]
    public void OpenModelIterationInline() => _scheduled.HandOver(IterationsPerInvoke, inline: true);

    /// <summary>
    /// The same on the thread pool (the scheduler's way once starts were slow): the VU runs the iteration on a pool
    /// thread; this thread spins until the VU is back, as the scheduler would find it at the next due iteration.
    /// </summary>
    [Benchmark(OperationsPerInvoke = IterationsPerInvoke, Description = "open model: iteration handed to the thread pool and back")]
    public void OpenModelIterationOnThreadPool() => _scheduled.HandOver(IterationsPerInvoke, inline: false);

    /// <summary>What one VU costs to create (VU density): its session, step context, timer, mailbox and cancellation source.</summary>
    [Benchmark(Description = "create (and dispose) one VU")]
    public void CreateUser()
    {
        using var user = new VirtualUser(0, _thinking, _thinkingStats, null, _thinkingFeeds);
    }

    /// <summary>A VU as the engine creates it, with its scenario's recorders.</summary>
    internal static VirtualUser NewUser(Scenario scenario, HttpSteps.HttpClients? http = null) =>
        new(0, scenario, new ScenarioStats(scenario, new ActiveUsers(), isWarmUp: false), null, new FeedRun(scenario.Feeds, scenario.Name, SegmentShare.Whole), http);
}
