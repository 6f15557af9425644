using System.Text.RegularExpressions;

namespace LoadKit.Tests.Progress;

public partial class ProgressTests
{
    [Test]
    public async Task RunAsync_LinesForcedOnA3sRun_WritesALinePerSecondWithTheFigures()
    {
        var output = new StringWriter();
        var scenario = Scenario.Create("progress")
            .Step("wait", async ctx => await Task.Delay(10, ctx.CancellationToken))
            .Step("flaky", ctx => ctx.Iteration % 10 == 0 ? throw new InvalidOperationException("every tenth") : ValueTask.CompletedTask)
            .WithLoad(Load.ConstantUsers(3, TimeSpan.FromSeconds(3)))
            .Build();

        var result = await LoadRunner.RunAsync(scenario, new RunOptions { Progress = ProgressMode.Lines, ProgressWriter = TextWriter.Synchronized(output) })
            .WaitAsync(TimeSpan.FromSeconds(30));

        var text = output.ToString();
        TestContext.Out.WriteLine(text);
        Assert.That(text, Does.Not.Contain("\r"), "plain lines, no in-place refresh");
        var all = text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.That(all[0], Does.Match(EventLine()).And.Contain("Load started: progress"), "the start, as an event line of its own");
        var lines = all.Where(l => !EventLine().IsMatch(l)).ToArray();
        Assert.That(lines, Has.Length.InRange(3, 5), "one a second, and the last figures at the end");
        var figures = lines.Select(l => Line().Match(l)).ToArray();
        Assert.That(figures, Has.All.Matches<Match>(m => m.Success), "every line has elapsed / planned, VUs, rps, p95 and failures");
        Assert.That(figures.Select(m => m.Groups["planned"].Value), Has.All.EqualTo("00:03"));
        Assert.That(figures[..^1].Select(m => int.Parse(m.Groups["users"].Value, System.Globalization.CultureInfo.InvariantCulture)), Has.Some.EqualTo(3));
        Assert.That(figures[0].Groups["rps"].Value, Is.Not.EqualTo("0"), "a second of 3 VUs calling every 10 ms");
        Assert.That(figures[0].Groups["p95"].Value, Does.EndWith(" ms"));
        var steps = result.GetScenario("progress").AllSteps;
        Assert.That(figures[^1].Groups["calls"].Value, Is.EqualTo(steps.Completed.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)), "the last line has the final counts");
        Assert.That(figures[^1].Groups["failures"].Value, Is.EqualTo((steps.Failed + steps.TimedOut).ToString("N0", System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public async Task RunAsync_LiveForced_RefreshesOneLineInPlace()
    {
        var output = new StringWriter();

        await LoadRunner.RunAsync(ShortScenario(TimeSpan.FromSeconds(2.6)), new RunOptions { Progress = ProgressMode.Live, ProgressWriter = TextWriter.Synchronized(output) })
            .WaitAsync(TimeSpan.FromSeconds(30));

        var written = output.ToString();
        TestContext.Out.WriteLine(written.Replace("\r", "\\r\n", StringComparison.Ordinal));

        // The start's event line comes first, before the progress shows.
        var started = written.IndexOf('\n', StringComparison.Ordinal) + 1;
        Assert.That(written[..started], Does.Match(EventLine()).And.Contain("Load started: short"));
        var text = written[started..];
        Assert.That(text.Split('\r', StringSplitOptions.RemoveEmptyEntries), Has.Length.GreaterThanOrEqualTo(3), "refreshed each second, then the last figures");
        Assert.That(text.IndexOf('\n', StringComparison.Ordinal), Is.EqualTo(text.Length - 1), "one line, ended once at the end");
        Assert.That(text, Does.Contain("/ 00:02  VUs "));
    }

    [Test]
    public async Task RunAsync_LiveWithAThresholdAbortMidRun_WritesTheEventAboveTheProgressLineWithoutBreakingIt()
    {
        var output = new StringWriter();

        await LoadRunner.RunAsync(Targets.InProcessTargetTests.FailingAfterAWhile(), new RunOptions { Progress = ProgressMode.Live, ProgressWriter = TextWriter.Synchronized(output) })
            .WaitAsync(TimeSpan.FromSeconds(60));

        var text = output.ToString();
        TestContext.Out.WriteLine(text.Replace("\r", "\\r\n", StringComparison.Ordinal));

        // What a terminal shows on each line: the last text written after a carriage return.
        Assert.That(text, Does.EndWith(Environment.NewLine));
        var shown = text[..^Environment.NewLine.Length].Split(Environment.NewLine).Select(l => l.Split('\r')[^1].TrimEnd()).ToArray();
        Assert.That(shown, Has.Length.EqualTo(3), string.Join(Environment.NewLine, shown));
        Assert.That(shown[0], Does.Match(EventLine()).And.Contain("Load started: flaky"));
        Assert.That(shown[1], Does.Match(EventLine()).And.Contain(": warning: Stopped early: ").And.Contain("because threshold '"));
        Assert.That(shown[2], Does.Match(Line()), "the last figures, on the last line");

        // Nothing written mixes an event into a progress line: every piece is one or the other.
        var pieces = text.Split('\r', '\n').Select(p => p.TrimEnd()).Where(p => p.Length > 0).ToArray();
        Assert.That(pieces, Has.All.Matches<string>(p => Line().IsMatch(p) || EventLine().IsMatch(p)));
        Assert.That(pieces.Count(p => Line().IsMatch(p)), Is.GreaterThanOrEqualTo(2), "progress before the stop, and the last figures");
    }

    [Test]
    public async Task RunAsync_AutoOnARunShorterThan5s_WritesNothing()
    {
        var output = new StringWriter();

        await LoadRunner.RunAsync(ShortScenario(TimeSpan.FromSeconds(1.5)), new RunOptions { ProgressWriter = TextWriter.Synchronized(output) })
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(output.ToString(), Is.Empty);
    }

    [Test]
    public async Task RunAsync_ProgressOff_WritesNothing()
    {
        var output = new StringWriter();

        await LoadRunner.RunAsync(ShortScenario(TimeSpan.FromSeconds(1.5)), new RunOptions { Progress = ProgressMode.Off, ProgressWriter = TextWriter.Synchronized(output) })
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(output.ToString(), Is.Empty);
    }

    [TestCase("off", ProgressMode.Off)]
    [TestCase(" Lines ", ProgressMode.Lines)]
    [TestCase("live", ProgressMode.Live)]
    [TestCase("auto", ProgressMode.Auto)]
    public void ParseProgress_ProgressValue_SelectsTheMode(string value, ProgressMode expected) =>
        Assert.That(RunOptions.ParseProgress(value, "LOADKIT_PROGRESS", RunOptions.Default).Progress, Is.EqualTo(expected));

    [Test]
    public void ParseProgress_UnknownProgress_NamesTheSourceTheValueAndTheAllowedOnes()
    {
        var error = Assert.Throws<ArgumentException>(() => RunOptions.ParseProgress("verbose", "environment variable LOADKIT_PROGRESS", RunOptions.Default));

        Assert.That(error!.Message, Is.EqualTo("environment variable LOADKIT_PROGRESS = 'verbose': allowed values are 'auto', 'off', 'lines' and 'live'."));
    }

    private static Scenario ShortScenario(TimeSpan duration) => Scenario.Create("short")
        .Step("wait", async ctx => await Task.Delay(10, ctx.CancellationToken))
        .WithLoad(Load.ConstantUsers(2, duration))
        .Build();

    [GeneratedRegex(@"^(?<elapsed>\d\d:\d\d) / (?<planned>\d\d:\d\d)  VUs (?<users>\d+)  rps (?<rps>[\d,]+)  p95 (?<p95>[\d.]+ ms|-)  failures (?<failures>[\d,]+) of (?<calls>[\d,]+) \([\d.]+ %\)$")]
    private static partial Regex Line();

    [GeneratedRegex(@"^\d\d:\d\d:\d\d [^:]+: ")]
    private static partial Regex EventLine();
}
