using System.Globalization;
using System.Text.RegularExpressions;
using LoadKit.TestTargets;

namespace LoadKit.Tests.Results;

/// <summary>What a result notes beyond its tables: a step failing the same way from its start, a closed model's stall.</summary>
public class RunFindingsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>Nothing listens on port 1 of the loopback: every connect is refused at once, as with a wrong port.</summary>
    private static Scenario Refused(LoadPhase load, params Threshold[] thresholds) => Scenario.Create("refused")
        .Step("get", LoadKit.Http.Get("http://127.0.0.1:1/ok"))
        .WithThresholds(thresholds)
        .WithLoad(load)
        .Build();

    [Test]
    public async Task RunAsync_EveryCallFailsTheSameWayFromTheStart_TheProgressLineAndTheSummarySaySo()
    {
        var output = new StringWriter();

        var result = await LoadRunner.RunAsync(
                Refused(Load.ConstantUsers(1, TimeSpan.FromSeconds(2.5))),
                new RunOptions { Progress = ProgressMode.Lines, ProgressWriter = TextWriter.Synchronized(output) })
            .WaitAsync(Bound);

        var step = result.GetStep("get");
        var progress = output.ToString();
        var summary = SummaryTable.Render(result);
        TestContext.Out.WriteLine(progress);
        TestContext.Out.WriteLine(summary);
        Assert.That(step.Ok, Is.Zero);
        Assert.That(step.Errors, Has.Count.EqualTo(1));
        var lines = progress.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Does.Contain(": Load started: refused"), "the start's event line");
        lines = lines[1..];
        Assert.That(lines[0], Does.Contain("  all ").And.Contain(" calls of 'get' failed in the first 1 s with: "));
        Assert.That(lines[^1], Does.Contain($"  all {step.Failed:N0} calls of 'get' failed in the first 3 s with: "));
        Assert.That(result.Notes, Has.Exactly(1).StartsWith($"All {step.Failed:N0} calls of step 'get' of scenario 'refused' failed in the first 3 s with: {step.Errors[0].Message}"));
        Assert.That(summary, Does.Contain("note: All "));
    }

    [Test]
    public async Task RunAsync_EveryCallFailsAndAThresholdLimitsFailures_TheThresholdStopsTheRunAtOnce()
    {
        var result = await LoadRunner.RunAsync(Refused(Load.ConstantUsers(1, TimeSpan.FromSeconds(60)), Threshold.Step("get").FailureRate.Below(0.5).AbortOnFail()))
            .WaitAsync(Bound);

        TestContext.Out.WriteLine(SummaryTable.Render(result));
        Assert.That(result.StoppedBy, Is.Not.Null);
        Assert.That(result.StoppedBy!.StoppedRunAt, Is.LessThan(TimeSpan.FromSeconds(3)), "at the first second's statistics");
        Assert.That(result.Duration, Is.LessThan(TimeSpan.FromSeconds(10)));
        Assert.That(result.Notes, Has.Some.StartsWith("All ").And.Some.Contain("because threshold 'failure rate of step 'get' < 50 %' was crossed"));
    }

    [Test]
    public async Task RunAsync_ServerStalls2sUnderAClosedModel_TheResultNotesTheStall()
    {
        // Requests that arrive between 1 s and 3 s after the first one are all answered at 3 s: a 2 s stall.
        await using var server = await DelayServer.StartAsync(("/api", (Func<TimeSpan, TimeSpan>)(t =>
            t >= TimeSpan.FromSeconds(1) && t < TimeSpan.FromSeconds(3) ? TimeSpan.FromSeconds(3) - t : TimeSpan.FromMilliseconds(5))));
        var scenario = Scenario.Create("closed")
            .Step("get", LoadKit.Http.Get(new Uri(server.BaseAddress, "/api").ToString()))
            .WithLoad(Load.ConstantUsers(4, TimeSpan.FromSeconds(5)))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        TestContext.Out.WriteLine(SummaryTable.Render(result));
        var note = result.Notes.Single(n => n.Contains("stalled", StringComparison.Ordinal));
        Assert.That(note, Does.StartWith("Scenario 'closed': no call completed in second").And.Contain("while 4 VUs were active"));
        Assert.That(note, Does.EndWith("in a closed model the load paused with it: latency percentiles understate it; an arrival-rate model would show it."));
        var stalled = double.Parse(Regex.Match(note, @"the system stalled for (\d+\.\d) s").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.That(stalled, Is.InRange(1.8, 2.5));
    }

    [Test]
    public async Task RunAsync_ThinkTimeLongerThanASecond_NotesNoStall()
    {
        var scenario = Scenario.Create("thinking")
            .Step("quick", _ => ValueTask.CompletedTask)
            .ThinkTime(TimeSpan.FromSeconds(2.2))
            .WithLoad(Load.ConstantUsers(1, TimeSpan.FromSeconds(5)))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        Assert.That(result.GetScenario("thinking").Timeline.Where(p => p.ActiveUsers > 0).Select(p => p.Second)
            .Except(result.GetStep("quick").Timeline.Where(p => p.Ok > 0).Select(p => p.Second)), Is.Not.Empty, "seconds with VUs but no call");
        Assert.That(result.Notes, Is.Empty);
    }
}
