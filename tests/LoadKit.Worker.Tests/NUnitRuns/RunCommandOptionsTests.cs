using LoadKit.Worker.NUnitRuns;

namespace LoadKit.Worker.Tests.NUnitRuns;

/// <summary>How <c>loadkit-worker run</c> reads its command line.</summary>
public class RunCommandOptionsTests
{
    [Test]
    public void Parse_FullCommandLine_BuildsLoadGatesAndCluster()
    {
        var (options, problems) = RunCommandOptions.Parse(
            ["Shop.Tests.dll", "--test", "A", "--test", "B.C", "--vus", "10", "--duration", "2m", "--step-timeout", "500ms", "--p95", "200ms",
             "--max-failure-rate", "0.01", "--etcd", "http://127.0.0.1:2379", "--workers", "3", "--prefix", "p", "--forward", "X,Y"],
            name => name == ClusterOptions.TokenVariable ? "0123456789abcdef0123" : null);

        Assert.That(problems, Is.Empty);
        Assert.That(options!.AssemblyPath, Is.EqualTo("Shop.Tests.dll"));
        Assert.That((options.Load.Tests, options.Load.Users, options.Load.Duration, options.Load.StepTimeout, options.Load.Iterations),
            Is.EqualTo((new[] { "A", "B.C" }, 10, TimeSpan.FromMinutes(2), (TimeSpan?)TimeSpan.FromMilliseconds(500), (int?)null)));
        Assert.That(options.Run.Thresholds.Select(t => t.ToString()), Is.EqualTo(new[] { "p95 of all steps < 200.00 ms", "failure rate of all steps ≤ 1 %" }));
        Assert.That((((ClusterTarget)options.Run.Target!).Options.Workers, ((ClusterTarget)options.Run.Target!).Options.Prefix, ((ClusterTarget)options.Run.Target!).Options.Forward), Is.EqualTo((3, "p", new[] { "X", "Y" })));
    }

    [Test]
    public void Parse_IterationsWithoutDuration_BoundsTheRunByTheDefaultMaximum()
    {
        var (options, _) = RunCommandOptions.Parse(["T.dll", "--test", "A", "--iterations", "5"], _ => null);

        Assert.That((options!.Load.Iterations, options.Load.Duration, options.Run.Target), Is.EqualTo(((int?)5, Load.DefaultMaxDuration, (IRunTarget?)null)));
    }

    [Test]
    public void Parse_BadValues_ListsEveryProblemWithOptionValueAndWhatIsAllowed()
    {
        var (options, problems) = RunCommandOptions.Parse(
            ["--vus", "0", "--duration", "soon", "--max-failure-rate", "2", "--workers", "2", "--bogus", "1"], _ => null);

        Assert.That(options, Is.Null);
        Assert.That(problems, Is.EqualTo(new[]
        {
            "--vus '0': allowed: a whole number of at least 1.",
            "--duration 'soon': allowed: a duration above 0 and at most 7 days, e.g. 500ms, 30s, 2m or 1h.",
            "--max-failure-rate '2': allowed: a share from 0 to 1, e.g. 0.01 for 1 %.",
            "--bogus: unknown option (see loadkit-worker run --help).",
            "TESTS.dll: missing; give the path of a built NUnit test assembly, e.g. bin/Release/net10.0/Shop.Tests.dll.",
            "--test: missing; name at least one test (--list shows them).",
            "--workers: only for a run across workers, which needs --etcd URL (or LOADKIT_ETCD).",
        }));
    }

    [Test]
    public void Parse_EtcdWithoutToken_NamesTheTokenSetting()
    {
        var (_, problems) = RunCommandOptions.Parse(["T.dll", "--test", "A", "--etcd", "http://127.0.0.1:2379"], _ => null);

        Assert.That(problems.Single(), Does.Contain(ClusterOptions.TokenVariable).And.Contain("at least 16 characters"));
    }
}
