using LoadKit.Cluster.Protocol;
using LoadKit.Worker.Runs;
using Microsoft.Extensions.Logging;

namespace LoadKit.Worker.Tests.Runs;

public class RunLogTests
{
    [Test]
    public void Add_MoreThanTheCapInOneSecond_KeepsTheCapAndCountsTheRestInOneLine()
    {
        var now = new DateTime(2026, 12, 3, 12, 0, 0, DateTimeKind.Utc);
        using var lines = new LogLines(() => now, () => { });

        for (var i = 0; i < LogLines.PerSecond + 30; i++)
        {
            lines.Add(Line($"line {i}"));
        }

        var sent = lines.Take();
        Assert.That(sent, Has.Length.EqualTo(LogLines.PerSecond + 1));
        Assert.That(sent[..^1].Select(l => l.Message), Is.EqualTo(Enumerable.Range(0, LogLines.PerSecond).Select(i => $"line {i}")), "the first lines of the second, in order");
        Assert.That(sent[^1].Message, Does.StartWith("30 log lines dropped"));
        Assert.That(sent[^1].Level, Is.EqualTo(LogLineLevel.Warning));

        // The next second takes lines again, and the count starts afresh.
        now = now.AddSeconds(1);
        lines.Add(Line("next second"));
        Assert.That(lines.Take().Select(l => l.Message), Is.EqualTo(new[] { "next second" }));
        Assert.That(lines.Take(), Is.Empty);
    }

    [Test]
    public void Add_ManySecondsWithoutATake_HoldsAtMostTheBoundAndCountsTheRest()
    {
        var now = new DateTime(2026, 12, 3, 12, 0, 0, DateTimeKind.Utc);
        using var lines = new LogLines(() => now, () => { });
        var seconds = (LogLines.MostHeld / LogLines.PerSecond) + 2;

        for (var s = 0; s < seconds; s++, now = now.AddSeconds(1))
        {
            for (var i = 0; i < LogLines.PerSecond; i++)
            {
                lines.Add(Line("x"));
            }
        }

        var sent = lines.Take();
        Assert.That(sent, Has.Length.EqualTo(LogLines.MostHeld + 1));
        Assert.That(sent[^1].Message, Does.StartWith($"{(seconds * LogLines.PerSecond) - LogLines.MostHeld} log lines dropped"));
    }

    [TestCase("LoadKit.Worker.Runs.RunHost", LogLevel.Information, true)]
    [TestCase("LoadKit.Worker.Runs.RunHost", LogLevel.Debug, false)]
    [TestCase("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Information, false)]
    [TestCase("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning, true)]
    [TestCase("Shop.LoadTests.Checkout", LogLevel.Error, true)]
    [TestCase("Shop.LoadTests.Checkout", LogLevel.None, false)]
    public void Forwards_CategoryAndLevel_InformationOfLoadKitWarningOfOthers(string category, LogLevel level, bool expected) =>
        Assert.That(RunLog.Forwards(category, level), Is.EqualTo(expected));

    private static LogLine Line(string message) => new() { Message = message, Category = "LoadKit.Test" };
}
