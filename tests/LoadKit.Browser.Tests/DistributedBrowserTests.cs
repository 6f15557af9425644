using FluentAssertions;
using LoadKit.TestTargets;

namespace LoadKit.Browser.Tests;

/// <summary>Browser scenarios on real worker processes registered in a real etcd, all on 127.0.0.1.</summary>
[NonParallelizable]
public class DistributedBrowserTests
{
    /// <summary>The live page's address, forwarded to the workers.</summary>
    public const string PageVariable = "LOADKIT_TEST_LIVE_PAGE";

    private const string Token = "browser-test-token-0123456789";

    /// <summary>One browser VU per worker (2 in all) clicking through the live page for 3 s.</summary>
    public static Scenario TwoBrowserUsers() => BrowserUsersTests.ClickThrough("distributed browser", new Uri(Environment.GetEnvironmentVariable(PageVariable)!))
        .WithLoad(Load.ConstantUsers(2, TimeSpan.FromSeconds(3)))
        .Build();

    [Test]
    public async Task RunAsync_OneWorkerWithoutChromium_RefusesNamingTheWorkerAndTheSetting()
    {
        await using var server = await LivePageServer.StartAsync();
        await using var etcd = await EtcdServer.StartAsync();
        var prefix = "browser-" + Guid.NewGuid().ToString("N")[..8];
        await using var workers = LocalWorkers.Start(2, etcd.Url, prefix, Token, "tests/LoadKit.Browser.Tests", i => i == 1
            ? new Dictionary<string, string> { [BrowserSettings.ChromiumPathVariable] = "/nonexistent/chromium" }
            : new Dictionary<string, string>());
        Environment.SetEnvironmentVariable(PageVariable, server.PageUrl.ToString());

        var run = () => LoadRunner.RunAsync([TwoBrowserUsers], Options(etcd, prefix)).WaitAsync(TimeSpan.FromSeconds(120));

        var refusal = await run.Should().ThrowAsync<DistributedRunException>();
        TestContext.Out.WriteLine(refusal.Which.Message);
        refusal.Which.Message.Should().Contain("no chromium at /nonexistent/chromium").And.Contain("apt-get install chromium")
            .And.Contain(BrowserSettings.ChromiumPathVariable).And.Contain("FailedPrecondition");
        server.Connections.Should().Be(0, "no worker started the load");
    }

    [Test]
    public async Task RunAsync_TwoWorkersWithOneBrowserUserEach_MergesStepsAndPageMetrics()
    {
        await using var server = await LivePageServer.StartAsync();
        await using var etcd = await EtcdServer.StartAsync();
        var prefix = "browser-" + Guid.NewGuid().ToString("N")[..8];
        await using var workers = LocalWorkers.Start(2, etcd.Url, prefix, Token, "tests/LoadKit.Browser.Tests");
        Environment.SetEnvironmentVariable(PageVariable, server.PageUrl.ToString());

        var result = await LoadRunner.RunAsync([TwoBrowserUsers], Options(etcd, prefix)).WaitAsync(TimeSpan.FromSeconds(120));

        TestContext.Out.WriteLine(SummaryTable.Render(result));
        var scenario = result.Scenarios.Should().ContainSingle().Subject;
        result.Workers.Should().HaveCount(2);
        result.Workers.Should().OnlyContain(w => w.Lost == null);
        scenario.Iterations.Failed.Should().Be(0, SummaryTable.Render(result));
        var lcp = scenario.GetMeasurement("open", "lcp");
        lcp.Ok.Should().Be(2, "one navigation per VU, one VU per worker");
        lcp.Ok.Should().Be(result.Workers.Sum(w => w.Result.Scenarios[0].GetMeasurement("open", "lcp").Ok));
        scenario.GetStep("pong").Ok.Should().Be(server.Pings);
        server.Connections.Should().Be(2);

        // Each worker unloads the run's test assembly, Playwright and all, so a long-lived worker does not keep one per run.
        var unloads = await workers.WaitForLinesAsync("test assembly", 2, TimeSpan.FromSeconds(30));
        unloads.Should().OnlyContain(line => line.Contains("test assembly unloaded", StringComparison.Ordinal));
    }

    private static RunOptions Options(EtcdServer etcd, string prefix) => new()
    {
        Target = new ClusterTarget(new ClusterOptions([new Uri(etcd.Url)], 2, Token)
        {
            Prefix = prefix,
            WorkerWait = TimeSpan.FromSeconds(30),
            Forward = [PageVariable],
        }),
    };
}
