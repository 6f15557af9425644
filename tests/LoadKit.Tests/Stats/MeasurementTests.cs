using LoadKit.Reporting;
using LoadKit.Results;

namespace LoadKit.Tests.Stats;

/// <summary>Named measurements that steps record: statistics of their own, merged exactly, limited by thresholds.</summary>
public class MeasurementTests
{
    private static Scenario Recording(int iterations) => Scenario.Create("measured")
        .Step("home", ctx =>
        {
            ctx.Record("lcp", TimeSpan.FromMilliseconds(100 + ctx.Iteration));
            ctx.RecordScore("cls", 0.25);
            return ValueTask.CompletedTask;
        })
        .WithLoad(Load.IterationsPerUser(1, iterations, TimeSpan.FromSeconds(10)))
        .WithThresholds(Threshold.Measurement("home", "lcp").Percentile(50).Below(TimeSpan.FromMilliseconds(50)))
        .Build();

    [Test]
    public async Task Record_InAStep_KeptAsStatisticsNamedAfterStepAndMeasurement()
    {
        var result = await LoadRunner.RunAsync(Recording(100));

        var scenario = result.Scenarios[0];
        var lcp = scenario.GetMeasurement("home", "lcp");
        Assert.Multiple(() =>
        {
            Assert.That(scenario.Measurements.Select(m => m.Name), Is.EqualTo(new[] { "home › lcp", "home › cls" }));
            Assert.That(lcp.Ok, Is.EqualTo(100));
            Assert.That(lcp.Latency.Min, Is.EqualTo(TimeSpan.FromMilliseconds(100)));
            Assert.That(lcp.Latency.Max.TotalMilliseconds, Is.EqualTo(199).Within(0.2));
            Assert.That(scenario.GetMeasurement("home", "cls").Latency.P50, Is.EqualTo(TimeSpan.FromMilliseconds(0.25)), "a score reads as milliseconds");
            Assert.That(result.Thresholds.Single().Passed, Is.False, "p50 of lcp is about 150 ms, over the 50 ms limit");
            Assert.That(SummaryTable.Render(result), Does.Contain("home › lcp"));
            Assert.That(MarkdownSummary.Render(result), Does.Contain("| home › lcp |"));
            Assert.That(HtmlReport.Render(result), Does.Contain("home › lcp"));
            Assert.That(CsvExport.Steps(result), Does.Contain("measured,home › lcp,100,"));
        });
    }

    [Test]
    public async Task Merge_TwoProcessesRecordedMeasurements_CountsAndHistogramsAddUp()
    {
        var one = await LoadRunner.RunAsync(Recording(30));
        var two = await LoadRunner.RunAsync(Recording(70));

        var merged = ResultMerge.Merge([one, two], one.StartedAt, two.EndedAt, cancelled: false).Scenarios[0];
        var roundTripped = LoadResult.FromJson(one.ToJson()).Scenarios[0];

        Assert.Multiple(() =>
        {
            Assert.That(merged.GetMeasurement("home", "lcp").Ok, Is.EqualTo(100));
            Assert.That(merged.GetMeasurement("home", "lcp").Latency.Max.TotalMilliseconds, Is.EqualTo(169).Within(0.2));
            Assert.That(roundTripped.GetMeasurement("home", "lcp").Ok, Is.EqualTo(30), "measurements survive the JSON a worker sends");
        });
    }

    [Test]
    public async Task Record_NameAlreadySeen_AllocatesNothing()
    {
        long allocated = -1;
        var scenario = Scenario.Create("allocation")
            .Step("home", ctx =>
            {
                ctx.Record("lcp", TimeSpan.FromMilliseconds(1));
                ctx.RecordScore("cls", 0.1);
                if (ctx.Iteration == 9)
                {
                    var before = GC.GetAllocatedBytesForCurrentThread();
                    for (var i = 0; i < 1000; i++)
                    {
                        ctx.Record("lcp", TimeSpan.FromMilliseconds(i));
                        ctx.RecordScore("cls", i / 1000.0);
                    }

                    allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                }

                return ValueTask.CompletedTask;
            })
            .WithLoad(Load.IterationsPerUser(1, 10, TimeSpan.FromSeconds(10)))
            .Build();

        var result = await LoadRunner.RunAsync(scenario);

        Assert.That(allocated, Is.Zero);
        Assert.That(result.Scenarios[0].GetMeasurement("home", "lcp").Ok, Is.EqualTo(1010));
    }

    [Test]
    public void Build_ThresholdOnAMeasurementOfAMissingStep_NamesTheSteps()
    {
        var build = () => Scenario.Create("x")
            .Step("home", _ => ValueTask.CompletedTask)
            .WithLoad(Load.IterationsPerUser(1, 1))
            .WithThresholds(Threshold.Measurement("away", "lcp").Percentile(75).Below(TimeSpan.FromSeconds(2.5)))
            .Build();

        Assert.That(build, Throws.TypeOf<ScenarioValidationException>().With.Message.Contains("'home'").And.Message.Contains("away › lcp"));
    }
}
