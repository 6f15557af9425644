using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using LoadKit.TestTargets;

namespace LoadKit.Worker.Tests.Distributed;

/// <summary>
/// Losses at any time (docs/distributed-ci.md, "How a run survives"): a worker that took over a share and is lost in
/// turn hands on everything it held, two workers lost at one instant, a take-over sent to a worker that is gone, a
/// malformed snapshot. An iteration-counted block still merges to its planned count; of an arrival rate, only what
/// the lost workers owed after their last snapshots is missing, and their missing seconds say so.
/// </summary>
public partial class RepeatedLossTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Test]
    public async Task WorkerThatTookOverIsKilled2SecondsLater_EverythingItHeldMovesOn_CountedBlockExact_RateMissesOnlyWhatWasOwed()
    {
        await using var cluster = await Cluster.StartAsync(4, environment: _ => SnapshotLog.Environment);
        var running = LoadRunner.RunAsync([LossScenarios.Counted, LossScenarios.Rate], cluster.Options());
        var (first, second) = (cluster.Workers[1], cluster.Workers[2]);

        await SnapshotLog.WaitForProgressAsync(first, "counted", Bound);
        var firstKilled = Kill(first);
        await SnapshotLog.WaitForProgressAsync(second, "counted", Bound, takenOver: true); // it runs a part of the first's share
        var rest = TimeSpan.FromSeconds(2) - (DateTimeOffset.UtcNow - firstKilled); // the scenario under test: 2 s later
        if (rest > TimeSpan.Zero)
        {
            await Task.Delay(rest); // (on a loaded machine the take-over itself may come later than that: then at once)
        }

        var secondKilled = Kill(second);
        var result = await running.WaitAsync(Bound);

        var (firstLost, secondLost) = AssertLost(result, first, second);
        var secondNote = result.Notes.Single(n => n.Contains($"Worker {secondLost.Id} was lost", StringComparison.Ordinal));
        var firstSegment = SegmentNumber().Match(firstLost.Segment).Groups[1].Value;
        Assert.That(secondNote, Does.Match($@"Its part \d of 3 of segment {firstSegment} from \d+ ms from [0-9.]+ s on moved to "),
            "the part it had taken over moved on too");
        Assert.That(secondNote, Does.Match(@"iterations of the part moved, of the \d+ it had of the iteration-counted block under way \(\d+ completed"),
            "with that part's progress from its last snapshot");
        AssertCountedExact(result);
        AssertRateMissesOnlyWhatWasOwed(result, (firstLost, firstKilled, 1.0 / 4), (secondLost, secondKilled, (1.0 / 4) + (1.0 / 12)));
    }

    [Test]
    public async Task TwoWorkersKilledAtOneInstant_BothSharesMove_CountedBlockExact_RateMissesOnlyWhatWasOwed()
    {
        await using var cluster = await Cluster.StartAsync(4, environment: _ => SnapshotLog.Environment);
        var running = LoadRunner.RunAsync([LossScenarios.Counted, LossScenarios.Rate], cluster.Options());
        var (first, second) = (cluster.Workers[1], cluster.Workers[2]);

        await SnapshotLog.WaitForProgressAsync(first, "counted", Bound);
        await SnapshotLog.WaitForProgressAsync(second, "counted", Bound);
        var killed = Kill(first);
        second.KillHard();
        var result = await running.WaitAsync(Bound);

        var (firstLost, secondLost) = AssertLost(result, first, second);
        AssertCountedExact(result);

        // A part one of them may have been sent of the other's share before its own loss was seen adds 1/12 of the rate.
        AssertRateMissesOnlyWhatWasOwed(result, (firstLost, killed, (1.0 / 4) + (1.0 / 12)), (secondLost, killed, (1.0 / 4) + (1.0 / 12)));
    }

    [Test]
    public async Task TakeOverSentToAFrozenWorker_IsNeverAcknowledged_ItMovesOnWhenThatWorkerIsLost_CountedBlockExact()
    {
        await using var cluster = await Cluster.StartAsync(3, environment: _ => SnapshotLog.Environment);
        var running = LoadRunner.RunAsync([LossScenarios.SlowCounted], cluster.Options());
        var (killed, frozen) = (cluster.Workers[0], cluster.Workers[2]);

        await SnapshotLog.WaitForProgressAsync(killed, "slow counted", Bound);
        await SnapshotLog.WaitForProgressAsync(frozen, "slow counted", Bound);
        Signals.Send(frozen.ProcessId, "STOP"); // its connection goes silent: the controller finds it lost about 5 s later
        LoadResult result;
        try
        {
            killed.KillHard(); // found lost at once: a part of its share is written to the frozen worker, which never answers
            result = await running.WaitAsync(Bound);
        }
        finally
        {
            Signals.Send(frozen.ProcessId, "CONT");
        }

        var (killedLost, frozenLost) = AssertLost(result, killed, frozen);
        var survivor = result.Workers.Single(w => w.Lost is null);
        var killedNote = result.Notes.Single(n => n.Contains($"Worker {killedLost.Id} was lost", StringComparison.Ordinal));
        Assert.That(killedNote, Does.Contain($"on moved to {survivor.Id}.").And.Contain(
            $"{frozenLost.Id} never acknowledged its part (it was lost); the part moved on with what {frozenLost.Id} held."));
        var frozenNote = result.Notes.Single(n => n.Contains($"Worker {frozenLost.Id} was lost", StringComparison.Ordinal));
        Assert.That(frozenNote, Does.Contain("no snapshot listed the part, so all").And.Contain($"on moved to {survivor.Id}."));
        Assert.That(frozenLost.Segment, Does.Not.Contain("part"), "a part never acknowledged is not shown as held");
        Assert.That(survivor.Segment, Does.Match(@"\+ part 1 of 1 of part \d of 2 of segment"), "the frozen worker's part moved on to the survivor");

        var iterations = result.GetScenario("slow counted").Iterations;
        Assert.That(iterations.Completed + iterations.Cancelled, Is.EqualTo(LossScenarios.SlowCountedIterations), "merged iterations: exactly the planned count");
        Assert.That(iterations.Ok, Is.EqualTo(LossScenarios.SlowCountedIterations));
    }

    [TestCase("json:2", "its snapshot 2 could not be read: ")]
    [TestCase("sequence:2", "it sent snapshot 3 after snapshot 1: a snapshot is the previous one's number + 1")]
    public async Task MalformedSnapshot_MarksItsWorkerLostWithTheReason_ItsLoadStops_ItsShareMoves(string fault, string reason)
    {
        await using var cluster = await Cluster.StartAsync(
            2, environment: i => i == 1 ? new Dictionary<string, string> { ["LOADKIT_TEST_BAD_SNAPSHOT"] = fault } : new Dictionary<string, string>());
        var result = await LoadRunner.RunAsync([LossScenarios.ShortCounted], cluster.Options()).WaitAsync(Bound);

        TestContext.Out.WriteLine(SummaryTable.Render(result));
        var lost = result.Workers.Single(w => w.Lost is not null);
        Assert.That(lost.Id, Does.Contain($"-{cluster.Workers[1].ProcessId}-"));
        Assert.That(lost.Lost, Does.StartWith(reason));
        Assert.That(result.Notes.Single(), Does.Contain($"Worker {lost.Id} was lost").And.Contain(reason).And.Contain("on moved to "));
        await cluster.Workers[1].WaitForOutputAsync("stopped because the controller's call ended", TimeSpan.FromSeconds(10));
        var iterations = result.GetScenario("short counted").Iterations;
        Assert.That(iterations.Completed + iterations.Cancelled, Is.EqualTo(LossScenarios.ShortCountedIterations), "what its good snapshots counted, and the rest elsewhere");
    }

    private static DateTimeOffset Kill(WorkerProcess worker)
    {
        worker.KillHard();
        return DateTimeOffset.UtcNow;
    }

    /// <summary>Exactly these two workers are lost, and named.</summary>
    private static (WorkerResult First, WorkerResult Second) AssertLost(LoadResult result, WorkerProcess first, WorkerProcess second)
    {
        TestContext.Out.WriteLine(SummaryTable.Render(result));
        foreach (var note in result.Notes)
        {
            TestContext.Out.WriteLine(note);
        }

        var lost = result.Workers.Where(w => w.Lost is not null).ToArray();
        Assert.That(lost, Has.Length.EqualTo(2), string.Join("; ", result.Workers.Select(w => $"{w.Id}: {w.Lost}")));
        return (lost.Single(w => w.Id.Contains($"-{first.ProcessId}-", StringComparison.Ordinal)),
            lost.Single(w => w.Id.Contains($"-{second.ProcessId}-", StringComparison.Ordinal)));
    }

    private static void AssertCountedExact(LoadResult result)
    {
        var iterations = result.GetScenario("counted").Iterations;
        Assert.That(iterations.Completed + iterations.Cancelled, Is.EqualTo(LossScenarios.CountedIterations), "merged iterations: exactly the planned count");
        Assert.That(iterations.Ok, Is.EqualTo(LossScenarios.CountedIterations), string.Join("; ", result.GetScenario("counted").GetStep("count").Errors));
    }

    /// <summary>
    /// Each lost worker lists the seconds from its last snapshot on as missing, and the arrivals missing from the result
    /// are at most what the lost workers owed from there until they were killed, plus a second for finding the loss
    /// and the calls in flight: nothing else is lost.
    /// </summary>
    private static void AssertRateMissesOnlyWhatWasOwed(LoadResult result, params (WorkerResult Lost, DateTimeOffset KilledAt, double Fraction)[] losses)
    {
        var owed = 0.0;
        foreach (var (lost, killedAt, fraction) in losses)
        {
            var killedSecond = (killedAt - result.StartedAt).TotalSeconds;
            Assert.That(lost.MissingSeconds, Is.Not.Empty, $"{lost.Id} lists its missing seconds");
            Assert.That(lost.MissingSeconds[0], Is.LessThanOrEqualTo((int)killedSecond), $"{lost.Id}: from its last snapshot on");
            owed += fraction * LossScenarios.RatePerSecond * (killedSecond - lost.MissingSeconds[0] + 1);
        }

        const int planned = LossScenarios.RatePerSecond * LossScenarios.RateSeconds;
        var arrived = result.GetScenario("rate").GetStep("arrive");
        TestContext.Out.WriteLine($"rate: {arrived.Ok} of {planned} arrivals, at most {owed:0} owed by the lost workers; per second: " +
            string.Join(", ", arrived.Timeline.Select(p => $"{p.Second}: {p.Ok}")) + "; missing: " +
            string.Join("; ", losses.Select(l => $"{l.Lost.Id} killed at {(l.KilledAt - result.StartedAt).TotalSeconds:0.000} s, seconds {string.Join(",", l.Lost.MissingSeconds)}")));
        Assert.That(arrived.Ok, Is.InRange(planned - owed, planned));
    }

    [GeneratedRegex(@"^segment (\d+) of")]
    private static partial Regex SegmentNumber();
}
