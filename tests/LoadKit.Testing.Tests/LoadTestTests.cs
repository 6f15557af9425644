using System.Diagnostics;
using FluentAssertions;
using NUnit.Framework.Internal;

namespace LoadKit.Testing.Tests;

public class LoadTestTests
{
    private static int _factoryCalls;

    public static Scenario Quick()
    {
        Interlocked.Increment(ref _factoryCalls);
        return Scenario.Create("quick")
            .Step("ping", _ => ValueTask.CompletedTask)
            .WithLoad(Load.IterationsPerUser(2, 10))
            .Build();
    }

    [Test]
    public async Task RunAsync_Factory_RunsTheScenarioAndWritesTheSummaryToTheTestOutput()
    {
        var before = _factoryCalls;

        var result = await LoadTest.RunAsync(Quick);

        Assert.That(_factoryCalls, Is.EqualTo(before + 1));
        result.Should().HaveStep("ping").HaveFailureCountAtMost(0);
        Assert.That(result.GetStep("ping").Ok, Is.EqualTo(20));
        var output = TestExecutionContext.CurrentContext.CurrentResult.Output;
        Assert.That(output, Does.Contain("Scenario 'quick'"));
        Assert.That(output, Does.Match(@"ping\s+20\s+0\s+0\s+0\s"));
    }

    [Test]
    public async Task RunAsync_AnyRun_WritesTheReportsAttachesThemAndAppendsTheJobSummary()
    {
        var jobSummary = Path.Combine(Directory.CreateTempSubdirectory("loadkit-summary-").FullName, "summary.md");
        Environment.SetEnvironmentVariable("GITHUB_STEP_SUMMARY", jobSummary);
        try
        {
            await LoadTest.RunAsync(Quick);
        }
        finally
        {
            Environment.SetEnvironmentVariable("GITHUB_STEP_SUMMARY", null);
        }

        var output = TestExecutionContext.CurrentContext.CurrentResult.Output;
        var report = System.Text.RegularExpressions.Regex.Match(output, "Report: (.+report\\.html)").Groups[1].Value;
        Assert.That(File.Exists(report), Is.True, output);
        Assert.That(report, Does.StartWith(LoadTest.ReportDirectory));
        Assert.That(File.ReadAllText(report), Does.Contain("Scenario quick"));
        Assert.That(TestExecutionContext.CurrentContext.CurrentResult.TestAttachments.Select(a => Path.GetFileName(a.FilePath)),
            Is.EquivalentTo(new[] { "report.html", "summary.md" }));
        Assert.That(File.ReadAllText(jobSummary), Does.StartWith("## LoadKit: quick"));
    }

    [Test]
    [CancelAfter(1000)]
    public async Task RunAsync_TestCancelled_StopsTheRunAndReturnsThePartialResult()
    {
        var scenario = Scenario.Create("endless")
            .Step("tick", async ctx => await Task.Delay(10, ctx.CancellationToken))
            .WithLoad(Load.ConstantUsers(2, TimeSpan.FromMinutes(10)))
            .Build();
        var clock = Stopwatch.StartNew();

        var result = await LoadTest.RunAsync(scenario);

        Assert.That(result.Cancelled, Is.True);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        Assert.That(result.GetStep("tick").Ok, Is.GreaterThan(10));
        Assert.That(TestExecutionContext.CurrentContext.CurrentResult.Output, Does.Contain("Run cancelled"));
    }

    [TestCase(ClusterOptions.EtcdVariable, "LoadKit.Etcd")]
    [TestCase(ClusterOptions.WorkerWaitVariable, "LoadKit.WorkerWait")]
    [TestCase(ClusterOptions.TokenFileVariable, "LoadKit.WorkerTokenFile")]
    [TestCase(ClusterOptions.OnWorkerLossVariable, "LoadKit.OnWorkerLoss")]
    [TestCase(RunOptions.ProgressVariable, "LoadKit.Progress")]
    [TestCase(OtlpExporter.EndpointVariable, "LoadKit.OtlpEndpoint")]
    [TestCase(PrometheusEndpoint.AddressVariable, "LoadKit.Prometheus")]
    public void ParameterFor_EnvironmentVariable_IsTheRunParameterOfTheSameName(string variable, string parameter)
    {
        Assert.That(LoadTest.ParameterFor(variable), Is.EqualTo(parameter));
    }

    [Test]
    public void Options_Bound_SendProgressToNUnitsLiveOutput()
    {
        Assert.That(LoadTest.Options.ProgressWriter, Is.SameAs(TestContext.Progress));
    }
}
