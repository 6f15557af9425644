namespace LoadKit.Tests.Reporting;

public class SummaryTableTests
{
    [Test]
    public async Task Render_RunWithFailures_ShowsEveryStepItsPercentilesAndErrorsAsPlainText()
    {
        var scenario = Scenario.Create("report")
            .Step("browse", async ctx => await Task.Delay(5, ctx.CancellationToken))
            .Step("pay", ctx => ctx.Iteration == 0 ? throw new HttpRequestException("connection refused") : ValueTask.CompletedTask)
            .WithLoad(Load.IterationsPerUser(2, 5))
            .Build();
        var result = await LoadRunner.RunAsync(scenario).WaitAsync(TimeSpan.FromSeconds(30));

        var text = SummaryTable.Render(result);

        var browse = result.GetStep("browse");
        Assert.That(text, Does.Contain("Scenario 'report'"));
        Assert.That(text, Does.Contain("10 iterations (8 ok, 2 failed, 0 cancelled)"));
        Assert.That(text, Does.Match(@"step\s+ok\s+failed\s+timeout\s+cancelled\s+rps\s+min\s+mean\s+p50\s+p75\s+p90\s+p95\s+p99\s+p99\.9\s+max"));
        Assert.That(text, Does.Match($@"browse\s+10\s+0\s+0\s+0\s+[\d.]+(\s+[\d.]+){{5}}\s+{browse.Latency.P95.TotalMilliseconds:0.00}\s"));
        Assert.That(text, Does.Match(@"pay\s+8\s+2\s+0\s+0\s"));
        Assert.That(text, Does.Match(@"all steps\s+18\s+2\s"));
        Assert.That(text, Does.Contain("pay: 2 × HttpRequestException: connection refused"));
        Assert.That(text, Does.Not.Contain("\u001b"), "no ANSI escape codes");
    }
}
