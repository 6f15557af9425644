using LoadKit.TestTargets;

namespace LoadKit.Tests.Targets;

public class InProcessTargetTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Test]
    public async Task RunAsync_ThresholdAbortsTheRun_TellsTheStartThenAStopWithTheThresholdsReason()
    {
        var recorder = new RunRecorder();

        var result = await LoadRunner.RunAsync(FailingAfterAWhile(), new RunOptions { Progress = ProgressMode.Off, Observers = [recorder] }).WaitAsync(Bound);

        TestContext.Out.WriteLine(recorder.Describe());
        var events = recorder.Events;
        Assert.That(events.Select(e => e.Kind), Is.EqualTo(new[] { RunEventKind.Started, RunEventKind.Stopped }));
        Assert.That(events.Select(e => e.Source), Has.All.EqualTo($"{Environment.MachineName} (pid {Environment.ProcessId})"));
        Assert.That(events[0].Message, Does.Contain("flaky"));
        var stopped = events[1];
        Assert.That(stopped.Level, Is.EqualTo(RunEventLevel.Warning));
        Assert.That(result.StoppedBy, Is.Not.Null);
        Assert.That(stopped.Message, Does.Contain(result.StoppedBy!.Threshold).And.Contain(result.Notes.Single(n => n.Contains("was stopped", StringComparison.Ordinal))));
        Assert.That(stopped.At, Is.GreaterThan(events[0].At).And.LessThanOrEqualTo(result.StartedAt + result.Duration + TimeSpan.FromSeconds(1)), "told when the stop came");
    }

    [Test]
    public async Task RunAsync_AnObserverStopsTheRun_TheResultIsNotCancelledAndItsNotesSayWhy()
    {
        var scenario = Scenario.Create("long")
            .Step("a", async ctx => await Task.Delay(5, ctx.CancellationToken))
            .WithLoad(Load.ConstantUsers(2, TimeSpan.FromSeconds(60)))
            .Build();

        var result = await LoadRunner.RunAsync(scenario, new RunOptions { Progress = ProgressMode.Off, Observers = [new StopAtSecondSnapshot()] }).WaitAsync(Bound);

        Assert.That(result.Duration, Is.LessThan(TimeSpan.FromSeconds(30)), "stopped, not run to its 60 s");
        Assert.That(result.GetStep("a").Ok, Is.GreaterThan(0), "what ran before the stop is kept");
        Assert.That(result.Cancelled, Is.False, "a stop is not a cancellation by the caller");
        Assert.That(result.Notes, Has.One.EqualTo("An operator pressed Stop."), "the stop's reason is the note");
    }

    [Test]
    public async Task RunAsync_Watched_EachSnapshotShowsThisProcessWithItsCallsAndHealthOfTheSecond()
    {
        var recorder = new RunRecorder();
        var scenario = Scenario.Create("steady")
            .Step("a", async ctx => await Task.Delay(5, ctx.CancellationToken))
            .Step("b", _ => ValueTask.CompletedTask)
            .WithLoad(Load.ArrivalRate(100, TimeSpan.FromSeconds(3), preAllocatedUsers: 5, maxUsers: 20))
            .Build();

        await LoadRunner.RunAsync(scenario, new RunOptions { Progress = ProgressMode.Off, Observers = [recorder] }).WaitAsync(Bound);

        var snapshots = recorder.Snapshots.Where(s => s.Generators.Count > 0 && s.Generators[0].Second >= 0).ToArray();
        Assert.That(snapshots, Has.Length.GreaterThanOrEqualTo(2));
        foreach (var snapshot in snapshots)
        {
            var generator = snapshot.Generators.Single();
            var calls = snapshot.Scenarios.SelectMany(s => s.Steps).SelectMany(s => s.Timeline).Where(p => p.Second == generator.Second).Sum(p => p.Ok + p.Failed + p.TimedOut);
            Assert.That(generator.Process, Is.EqualTo($"{Environment.MachineName} (pid {Environment.ProcessId})"));
            Assert.That((generator.Segment, generator.Lost), Is.EqualTo(((string?)null, (string?)null)));
            Assert.That(generator.CallsPerSecond, Is.EqualTo(calls), $"second {generator.Second}: the snapshot's all-steps calls of that second");
            Assert.That(generator.Cores, Is.EqualTo(Environment.ProcessorCount));
        }

        // 100 iterations of two steps a second; a second's health once its first sample was taken.
        Assert.That(snapshots.Max(s => s.Generators[0].CallsPerSecond), Is.GreaterThanOrEqualTo(150));
        Assert.That(snapshots[^1].Generators[0].Health, Is.Not.Null);
        Assert.That(snapshots[^1].Generators[0].Health!.WorkingSetBytes, Is.GreaterThan(0));
    }

    /// <summary>Every tenth iteration fails, and a threshold that allows no failure stops the 20 s run once 2.5 s have passed (after the progress has shown).</summary>
    internal static Scenario FailingAfterAWhile() => Scenario.Create("flaky")
        .Step("flaky", async ctx =>
        {
            await Task.Delay(10, ctx.CancellationToken);
            if (ctx.Iteration % 10 == 9)
            {
                throw new InvalidOperationException("every tenth");
            }
        })
        .WithLoad(Load.ConstantUsers(2, TimeSpan.FromSeconds(20)))
        .WithThresholds(Threshold.Step("flaky").FailureCount.AtMost(0).AbortOnFail(TimeSpan.FromSeconds(2.5)))
        .Build();

    /// <summary>Stops the run at its second snapshot, as a control page's Stop button does.</summary>
    private sealed class StopAtSecondSnapshot : IRunObserver
    {
        public IRunObservation? Observe(RunPlan plan, RunControl control) => new Observation(control);

        private sealed class Observation(RunControl control) : IRunObservation
        {
            private int _snapshots;

            public bool WantsSnapshots => true;

            public void OnStarted(long startTimestamp)
            {
            }

            public void OnSnapshot(RunSnapshot snapshot)
            {
                if (++_snapshots == 2)
                {
                    control.Stop("An operator pressed Stop.");
                }
            }

            public void OnEvent(RunEvent runEvent)
            {
            }

            public LoadResult OnCompleted(LoadResult result) => result;

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
