using dotnet_etcd;
using Grpc.Core;
using LoadKit.TestTargets;

namespace LoadKit.Cli.Tests.Running;

/// <summary>
/// <c>loadkit run --etcd URL --workers 2</c> as a process, on a real etcd and two real worker processes, against a real
/// Kestrel server on 127.0.0.1 that counts what reached it: a plan (sent with its feed file, compiled by the workers),
/// a plan with problems (refused before any worker is touched), and a test assembly's scenario factories.
/// </summary>
[NonParallelizable]
public class DistributedRunCommandTests
{
    private const string Token = "distributed-cli-test-token";
    private EtcdServer _etcd = null!;
    private LocalWorkers _workers = null!;
    private readonly string _prefix = "cli-" + Guid.NewGuid().ToString("N")[..8];
    private ValueServer _server = null!;
    private string _folder = "";

    [OneTimeSetUp]
    public async Task StartCluster()
    {
        _etcd = await EtcdServer.StartAsync();
        _workers = LocalWorkers.Start(2, _etcd.Url, _prefix, Token, "tests/LoadKit.Cli.Tests");
    }

    [OneTimeTearDown]
    public async Task StopCluster()
    {
        await _workers.DisposeAsync();
        await _etcd.DisposeAsync();
    }

    [SetUp]
    public async Task StartServer()
    {
        _server = await ValueServer.StartAsync();
        _folder = Directory.CreateTempSubdirectory("loadkit-cli-workers-").FullName;
    }

    [TearDown]
    public async Task StopServer()
    {
        await _server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private Task<CommandOutput> LoadkitAsync(IReadOnlyDictionary<string, string>? environment, params string[] arguments) =>
        LoadkitProcess.RunAsync(LoadkitProcess.Built, _folder, environment ?? new Dictionary<string, string>(),
            [.. arguments, "--etcd", _etcd.Url, "--prefix", _prefix, "--workers", "2", "--progress", "off"]);

    private static Dictionary<string, string> WithToken(Dictionary<string, string>? more = null)
    {
        var environment = more ?? [];
        environment[ClusterOptions.TokenVariable] = Token;
        return environment;
    }

    [Test]
    public async Task Run_PlanWithUniqueFeedOnTwoWorkers_EveryRecordReachesTheTargetOnceAndCountsAddUp()
    {
        // The feed is outside the plan's folder (../data): the workers get both laid out as here.
        Directory.CreateDirectory(Path.Combine(_folder, "plans"));
        Directory.CreateDirectory(Path.Combine(_folder, "data"));
        await File.WriteAllLinesAsync(Path.Combine(_folder, "data", "ids.csv"), ["id", .. Enumerable.Range(1, 40).Select(i => $"r{i}")]);
        var plan = Path.Combine(_folder, "plans", "unique.yaml");
        await File.WriteAllTextAsync(plan, $$$"""
            http:
              baseAddress: {{{_server.BaseAddress}}}
            feeds:
              ids: { csv: ../data/ids.csv, order: unique }
            scenarios:
              - name: unique
                steps:
                  - feed: ids
                  - name: use
                    request: { url: "/use/{{id}}" }
                load:
                  - sharedIterations: { users: 4, iterations: 40 }
                thresholds:
                  - { metric: failureRate, below: 0.01 }
            """);
        var reports = Path.Combine(_folder, "out");

        var run = await LoadkitAsync(WithToken(), "run", plan, "--out", reports);

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain("on 2 workers from etcd").And.Contain("PASSED: 1 threshold(s)"));
        Assert.That(_server.Values.Keys.Order(), Is.EqualTo(Enumerable.Range(1, 40).Select(i => $"r{i}").Order()), "every record reached the target");
        Assert.That(_server.Values.Values, Has.All.EqualTo(1), "no record was used twice, by one worker or both");
        var result = LoadResult.ReadFile(Path.Combine(reports, "result.json"));
        Assert.That(result.GetStep("use").Ok, Is.EqualTo(40), "the merged count is the target's");
        Assert.That(result.Workers, Has.Count.EqualTo(2));
        Assert.That(result.Workers.Select(w => w.Result.Scenarios.Single().Steps.Single().Ok), Is.EqualTo(new[] { 20L, 20L }), "each worker ran its half");
        Assert.That(result.Thresholds.Single().Passed, Is.True);
    }

    [Test]
    public async Task Run_PlanWithProblems_ExitsTwoListingThemBeforeAnyWorkerIsTouched()
    {
        var plan = Path.Combine(_folder, "bad.yaml");
        await File.WriteAllTextAsync(plan, $$"""
            http:
              baseAdress: {{_server.BaseAddress}}
            scenarios:
              - name: bad
                steps:
                  - name: use
                    request: { method: GTE, url: /use/bad }
                load:
                  - sharedIterations: { users: 0, iterations: 4 }
            """);
        await WaitForIdleWorkersAsync(); // their registrations, which change etcd, are in
        using var etcd = new EtcdClient(_etcd.Url, configureChannelOptions: o => o.Credentials = ChannelCredentials.Insecure);
        var before = (await etcd.GetRangeAsync($"/{_prefix}/")).Header.Revision;

        var run = await LoadkitAsync(WithToken(), "run", plan);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("bad.yaml has 3 problems")
            .And.Contain("bad.yaml:2:3: http.baseAdress").And.Contain("did you mean 'baseAddress'")
            .And.Contain("bad.yaml:7:28: scenarios[0].steps[0].request.method = 'GTE'")
            .And.Contain("bad.yaml:9:9: scenarios[0].load[0].sharedIterations.users = 0: must be 1 or more"));
        Assert.That((await etcd.GetRangeAsync($"/{_prefix}/")).Header.Revision, Is.EqualTo(before), "nothing was written to etcd: no claim, no worker busy");
        Assert.That(_server.Values, Is.Empty);
    }

    [Test]
    public async Task Run_TestAssemblyScenarioOnTwoWorkers_RunsTheNamedFactoryThere()
    {
        var environment = WithToken(new Dictionary<string, string> { ["SHOP_URL"] = _server.BaseAddress.ToString() });

        var run = await LoadkitAsync(environment, "run", LoadkitProcess.ScenarioFactoryTests, "--scenario", "Browse", "--forward", "SHOP_URL", "--out", Path.Combine(_folder, "out"));

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain("Running ScenarioFactoryTests.dll: browse (full load) on 2 workers").And.Contain("PASSED: 1 threshold(s)"));
        Assert.That(_server.Values["factory"], Is.EqualTo(20), "the 20 shared iterations, split over the workers");
        Assert.That(_server.Values.ContainsKey("checkout"), Is.False, "the scenario not named did not run");
        var result = LoadResult.ReadFile(Path.Combine(_folder, "out", "result.json"));
        Assert.That(result.Workers.Select(w => w.Result.Scenarios.Single().Steps.Single().Ok), Is.EqualTo(new[] { 10L, 10L }));
    }

    [Test]
    public async Task Workers_TwoRegistered_ListsEachIdleWithItsAddressAndLabel()
    {
        await WaitForIdleWorkersAsync();

        var list = await ListAsync();

        Assert.That(list.ExitCode, Is.Zero, list.ToString());
        var lines = list.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(lines[0], Is.EqualTo($"Workers under /{_prefix}/workers/ in etcd {_etcd.Url}/: 2 (2 idle, 0 busy)"));
        Assert.That(lines[1], Does.Match("^ID +STATE +ADDRESS +PROTOCOL +VERSION +CORES +LABELS$"));
        Assert.That(lines.Skip(2).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]).Order(), Is.EqualTo(new[] { "n=1", "n=2" }));
        Assert.That(lines.Skip(2), Has.All.Match(@" idle +http://127\.0\.0\.1:\d+ +3 "));
    }

    /// <summary>Waits until both workers are registered, and idle again after any run of the other tests.</summary>
    private async Task WaitForIdleWorkersAsync()
    {
        var etcd = new LoadKit.Cluster.EtcdAccess([new Uri(_etcd.Url)]);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((await etcd.ListWorkersAsync(_prefix, CancellationToken.None)).Count(w => w.State == "idle") < 2)
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "2 workers registered and idle within 30 s");
            await Task.Delay(50);
        }
    }

    private Task<CommandOutput> ListAsync() =>
        LoadkitProcess.RunAsync(LoadkitProcess.Built, _folder, new Dictionary<string, string>(), "workers", "--etcd", _etcd.Url, "--prefix", _prefix);
}
