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
        var lines = text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.InRange(3, 5), "one a second, and the last figures at the end");
        var figures = lines.Select(l => Line().Match(l)).ToArray();
        Assert.That(figures, Has.All.Matches<Match>(m => m.Success), "every line has elapsed / planned, VUs, rps, p95 and failures");
        Assert.That(figures.Select(m => m.Groups["planned"].Value), Has.All.EqualTo("00:03"));
        Assert.That(figures[..^1].Select(m => int.Parse(m.Groups["users"].Value, System.Globalization.CultureInfo.InvariantCulture)), Has.Some.EqualTo(3));
        Assert.That(figures[0].Groups["rps"].Value, Is.Not.EqualTo("0"), "a second of 3 VUs calling every 10 ms");
        Assert.That(figures[0].Groups["p95"].Value, Does.EndWith(" ms"));
        var all = result.GetScenario("progress").AllSteps;
        Assert.That(figures[^1].Groups["calls"].Value, Is.EqualTo(all.Completed.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)), "the last line has the final counts");
        Assert.That(figures[^1].Groups["failures"].Value, Is.EqualTo((all.Failed + all.TimedOut).ToString("N0", System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public async Task RunAsync_LiveForced_RefreshesOneLineInPlace()
    {
        var output = new StringWriter();

        await LoadRunner.RunAsync(ShortScenario(TimeSpan.FromSeconds(2.6)), new RunOptions { Progress = ProgressMode.Live, ProgressWriter = TextWriter.Synchronized(output) })
            .WaitAsync(TimeSpan.FromSeconds(30));

        var text = output.ToString();
        TestContext.Out.WriteLine(text.Replace("\r", "\\r\n", StringComparison.Ordinal));
        Assert.That(text.Split('\r', StringSplitOptions.RemoveEmptyEntries), Has.Length.GreaterThanOrEqualTo(3), "refreshed each second, then the last figures");
        Assert.That(text.IndexOf('\n', StringComparison.Ordinal), Is.EqualTo(text.Length - 1), "one line, ended once at the end");
        Assert.That(text, Does.Contain("/ 00:02  VUs "));
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
}
