using System.Text.RegularExpressions;
using LoadKit.TestTargets;

namespace LoadKit.Cli.Tests.Running;

/// <summary><c>loadkit run</c> as a process against a real Kestrel server on 127.0.0.1: counts, reports, exit codes.</summary>
public partial class RunCommandTests
{
    private ValueServer _server = null!;
    private string _folder = "";

    [SetUp]
    public async Task StartServer()
    {
        _server = await ValueServer.StartAsync();
        _folder = Directory.CreateTempSubdirectory("loadkit-cli-").FullName;
    }

    [TearDown]
    public async Task StopServer()
    {
        await _server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>A plan of one step to /use/{value}: 10 shared iterations (full), 3 (smoke), and the threshold given.</summary>
    private string WritePlan(string name, string threshold = "{ metric: failureRate, below: 0.01 }", string value = "a", string? baseAddress = null)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, $$$"""
            http:
              baseAddress: {{{baseAddress ?? _server.BaseAddress.ToString()}}}
            scenarios:
              - name: values
                steps:
                  - name: use
                    request: { url: /use/{{{value}}} }
                    checks:
                      - bodyContains: ok
                load:
                  - sharedIterations: { users: 2, iterations: 10 }
                smokeLoad:
                  - sharedIterations: { users: 1, iterations: 3 }
                thresholds:
                  - {{{threshold}}}
            """);
        return path;
    }

    [Test]
    public async Task Run_ThresholdsPass_ExitsZeroAfterTheSummaryAndWritesTheReports()
    {
        var plan = WritePlan("values.yaml");
        var reports = Path.Combine(_folder, "out");

        var run = await LoadkitProcess.RunAsync(_folder, "run", plan, "--out", reports);

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(_server.Values["a"], Is.EqualTo(10), "the full load: 10 iterations of one request");
        Assert.That(run.Output, Does.Contain("Scenario 'values'").And.Contain("PASSED: 1 threshold(s)"));
        Assert.That(new[] { "report.html", "summary.md", "result.json", "steps.csv", "timeline.csv" }.Select(f => File.Exists(Path.Combine(reports, f))), Has.All.True);
        var result = LoadResult.ReadFile(Path.Combine(reports, "result.json"));
        Assert.That(result.GetStep("use").Ok, Is.EqualTo(10));
        Assert.That(result.Thresholds.Single().Passed, Is.True);
        Assert.That(await File.ReadAllTextAsync(Path.Combine(reports, "summary.md")), Does.Contain("use"));
    }

    [Test]
    public async Task Run_JsonPlanWithoutOut_WritesTheReportsBelowLoadkitReportDir()
    {
        var yaml = WritePlan("values.yaml");
        var json = Path.Combine(_folder, "values.json");
        // The same plan in JSON: the schema's other format.
        await File.WriteAllTextAsync(json, $$"""
            {
              "http": { "baseAddress": "{{_server.BaseAddress}}" },
              "scenarios": [ { "name": "values", "steps": [ { "name": "use", "request": { "url": "/use/j" } } ],
                               "load": [ { "sharedIterations": { "users": 1, "iterations": 4 } } ] } ]
            }
            """);
        var root = Path.Combine(_folder, "reports");

        var run = await LoadkitProcess.RunAsync(LoadkitProcess.Built, _folder, new Dictionary<string, string> { ["LOADKIT_REPORT_DIR"] = root }, "run", json);

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain("Done (the plan has no thresholds)."));
        Assert.That(_server.Values["j"], Is.EqualTo(4));
        var folder = Directory.GetDirectories(root).Single();
        Assert.That(Path.GetFileName(folder), Does.Match(@"^values-\d{8}-\d{6}$"));
        Assert.That(LoadResult.ReadFile(Path.Combine(folder, "result.json")).GetStep("use").Ok, Is.EqualTo(4));
        Assert.That(File.Exists(yaml), Is.True);
    }

    [Test]
    public async Task Run_ThresholdCrossed_ExitsOneNamingTheThresholdAndStillWritesTheReports()
    {
        var plan = WritePlan("slow.yaml", threshold: "{ step: use, metric: throughput, atLeast: 1000000 }");
        var reports = Path.Combine(_folder, "out");

        var run = await LoadkitProcess.RunAsync(_folder, "run", plan, "--report-dir", reports); // --out's other name

        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        Assert.That(run.Output, Does.Contain("FAILED: 1 of 1 threshold(s) crossed:").And.Contain("use"));
        Assert.That(_server.Values["a"], Is.EqualTo(10), "the run went to its end");
        Assert.That(LoadResult.ReadFile(Path.Combine(reports, "result.json")).Thresholds.Single().Passed, Is.False);
    }

    [Test]
    public async Task Run_ProfileAndScaleFromOptionsOrEnvironment_SelectTheLoad()
    {
        var plan = WritePlan("values.yaml");

        var smoke = await LoadkitProcess.RunAsync(_folder, "run", plan, "--profile", "smoke", "--out", Path.Combine(_folder, "smoke"));
        Assert.That(smoke.ExitCode, Is.Zero, smoke.ToString());
        Assert.That(_server.Values["a"], Is.EqualTo(3), "the smoke load: 3 iterations");

        // The variables a test run reads, with an option over one of them.
        var environment = new Dictionary<string, string> { ["LOADKIT_PROFILE"] = "smoke", ["LOADKIT_LOAD_SCALE"] = "5" };
        var scaled = await LoadkitProcess.RunAsync(LoadkitProcess.Built, _folder, environment, "run", plan, "--scale", "2", "--out", Path.Combine(_folder, "scaled"));
        Assert.That(scaled.ExitCode, Is.Zero, scaled.ToString());
        Assert.That(_server.Values["a"], Is.EqualTo(3 + 6), "the smoke load from LOADKIT_PROFILE, scaled by --scale 2 over LOADKIT_LOAD_SCALE=5");
        Assert.That(scaled.Output, Does.Contain("(smoke load, scaled by 2)"));
    }

    [Test]
    public async Task Run_ProgressLines_PrintsTheFiguresEachSecond()
    {
        var plan = Path.Combine(_folder, "steady.yaml");
        await File.WriteAllTextAsync(plan, $$"""
            http: { baseAddress: {{_server.BaseAddress}} }
            scenarios:
              - name: steady
                steps:
                  - { name: use, request: { url: /use/p } }
                  - think: 20ms
                load:
                  - constantUsers: { users: 2, during: 2s }
            """);

        var run = await LoadkitProcess.RunAsync(_folder, "run", plan, "--progress", "lines", "--out", Path.Combine(_folder, "out"));

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        var lines = ProgressLine().Matches(run.Output);
        Assert.That(lines, Has.Count.GreaterThanOrEqualTo(2), "a line a second and the last figures");
        Assert.That(lines[^1].Groups["calls"].Value, Is.EqualTo(_server.Values["p"].ToString("N0", System.Globalization.CultureInfo.InvariantCulture)), "the last line has the final count");
    }

    [Test]
    public async Task Run_PlanWithProblems_ExitsTwoListingEachWithLineAndColumnAndSendsNothing()
    {
        var plan = Path.Combine(_folder, "bad.yaml");
        await File.WriteAllTextAsync(plan, $$"""
            http:
              baseAdress: {{_server.BaseAddress}}
            scenarios:
              - name: bad
                steps:
                  - name: use
                    request: { method: GTE, url: /use/x }
                load:
                  - constantUsers: { users: 0, during: 1s }
            """);

        var run = await LoadkitProcess.RunAsync(_folder, "run", plan);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("bad.yaml has 3 problems:"));
        Assert.That(run.Error, Does.Contain("bad.yaml:2:3: http.baseAdress = an unknown key: did you mean 'baseAddress'?"));
        Assert.That(run.Error, Does.Contain("bad.yaml:7:28: scenarios[0].steps[0].request.method = 'GTE': one of GET, POST"));
        Assert.That(run.Error, Does.Match(@"bad\.yaml:9:\d+: scenarios\[0\]\.load\[0\]\.constantUsers\.users = 0: must be 1 or more"));
        Assert.That(_server.Values, Is.Empty);
    }

    [TestCase(new[] { "--profile", "medium" }, "option --profile = 'medium': allowed values are 'smoke' and 'full'.")]
    [TestCase(new[] { "--scale", "0" }, "option --scale = '0': must be a number greater than 0, e.g. 0.1 or 2.")]
    [TestCase(new[] { "--progress", "loud" }, "option --progress = 'loud': allowed values are 'auto', 'off', 'lines' and 'live'.")]
    [TestCase(new[] { "--profle", "smoke" }, "--profle: not an option of 'loadkit run'; allowed: --profile, --scale, --out")]
    [TestCase(new[] { "--out" }, "--out: missing its value; allowed: a folder for the reports.")]
    [TestCase(new[] { "--scenario", "checkout" }, "option --scenario: Plan '")]
    [TestCase(new[] { "--workers", "2" }, "--workers: only for a run across workers, which needs --etcd URL (or LOADKIT_ETCD).")]
    public async Task Run_BadOption_ExitsTwoNamingTheOptionTheValueAndWhatIsAllowed(string[] options, string message)
    {
        var plan = WritePlan("values.yaml");

        var run = await LoadkitProcess.RunAsync(_folder, ["run", plan, .. options]);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain(message));
        Assert.That(_server.Values, Is.Empty, "nothing ran");
    }

    [Test]
    public async Task Run_OutAndReportDirBoth_ExitsTwoNamingBoth()
    {
        var plan = WritePlan("values.yaml");

        var run = await LoadkitProcess.RunAsync(_folder, "run", plan, "--out", "a", "--report-dir", "b");

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("--out = 'a' and --report-dir = 'b': the same option; give it once."));
        Assert.That(_server.Values, Is.Empty, "nothing ran");
    }

    [TestCase("LOADKIT_LOAD_SCALE", "ten", "must be a number greater than 0")]
    [TestCase("LOADKIT_PROMETHEUS", "http://127.0.0.1:9464", "must be a port or an IP address and port to serve Prometheus on, e.g. 9464")]
    public async Task Run_BadEnvironmentVariable_ExitsTwoNamingTheVariable(string variable, string value, string allowed)
    {
        var plan = WritePlan("values.yaml");

        var run = await LoadkitProcess.RunAsync(LoadkitProcess.Built, _folder, new Dictionary<string, string> { [variable] = value }, "run", plan);

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain($"environment variable {variable} = '{value}': {allowed}"));
        Assert.That(_server.Values, Is.Empty, "nothing ran");
    }

    [Test]
    public async Task Run_BadClusterSettingsOrAFeedTheWorkersCannotGet_ExitsTwoBeforeEtcdIsAsked()
    {
        var plan = WritePlan("values.yaml");
        await File.WriteAllLinesAsync(Path.Combine(_folder, "ids.csv"), ["id", "1"]);
        var absolute = Path.Combine(_folder, "absolute.yaml");
        await File.WriteAllTextAsync(absolute, $$"""
            http: { baseAddress: {{_server.BaseAddress}} }
            feeds: { ids: { csv: {{Path.Combine(_folder, "ids.csv")}} } }
            scenarios:
              - name: values
                steps: [ { feed: ids }, { name: use, request: { url: /use/a } } ]
                load: [ { sharedIterations: { users: 1, iterations: 1 } } ]
            """);
        // Nothing listens there: a command that asked etcd would wait for it for seconds and exit with 3.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var etcd = $"http://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}";
        listener.Stop();

        var badCluster = await LoadkitProcess.RunAsync(_folder, "run", plan, "--etcd", etcd, "--workers", "none", "--token", "short");
        var absoluteFeed = await LoadkitProcess.RunAsync(LoadkitProcess.Built, _folder,
            new Dictionary<string, string> { ["LOADKIT_ETCD"] = etcd, ["LOADKIT_WORKER_TOKEN"] = "0123456789abcdef" }, "run", absolute);

        Assert.That(badCluster.ExitCode, Is.EqualTo(2), badCluster.ToString());
        Assert.That(badCluster.Error, Does.Contain("option --workers = 'none': must be a whole number of at least 1.").And.Contain("option --token"));
        Assert.That(absoluteFeed.ExitCode, Is.EqualTo(2), absoluteFeed.ToString());
        Assert.That(absoluteFeed.Error, Does.Contain($"feed file = '{Path.Combine(_folder, "ids.csv")}': an absolute path; the workers get the plan's files with it, " +
            $"so name the file relative to the plan's folder ({_folder})."));
        Assert.That(_server.Values, Is.Empty, "nothing ran");
    }

    [Test]
    public async Task Run_TestAssembly_RunsItsScenarioFactoriesHere()
    {
        var environment = new Dictionary<string, string> { ["SHOP_URL"] = _server.BaseAddress.ToString() };
        var reports = Path.Combine(_folder, "out");

        var run = await LoadkitProcess.RunAsync(LoadkitProcess.Built, _folder, environment, "run", LoadkitProcess.ScenarioFactoryTests, "--out", reports);

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain("Running ScenarioFactoryTests.dll: browse, checkout (full load) in this process ...").And.Contain("PASSED: 1 threshold(s)"));
        Assert.That(_server.Values["factory"], Is.EqualTo(20));
        Assert.That(_server.Values["checkout"], Is.EqualTo(5));
        Assert.That(LoadResult.ReadFile(Path.Combine(reports, "result.json")).Scenarios.Select(s => s.Name), Is.EqualTo(new[] { "browse", "checkout" }));
    }

    [Test]
    public async Task Run_TestAssemblyWithUnknownScenarioOrFailingFactory_ExitsTwoNamingThem()
    {
        var unknown = await LoadkitProcess.RunAsync(LoadkitProcess.Built, _folder,
            new Dictionary<string, string> { ["SHOP_URL"] = _server.BaseAddress.ToString() }, "run", LoadkitProcess.ScenarioFactoryTests, "--scenario", "pay");
        var unset = await LoadkitProcess.RunAsync(_folder, "run", LoadkitProcess.ScenarioFactoryTests, "--scenario", "Browse");
        var missing = await LoadkitProcess.RunAsync(_folder, "run", "Shop.LoadTests.dll");

        Assert.That(unknown.ExitCode, Is.EqualTo(2), unknown.ToString());
        Assert.That(unknown.Error, Does.Contain("option --scenario = 'pay': ScenarioFactoryTests.dll has no scenario or factory of that name; " +
            "it has 'browse' (Shop.LoadTests.ShopLoad.Browse), 'checkout' (Shop.LoadTests.ShopLoad.Checkout)."));
        Assert.That(unset.ExitCode, Is.EqualTo(2), unset.ToString());
        Assert.That(unset.Error, Does.Contain("scenario factory Shop.LoadTests.ShopLoad.Browse: threw InvalidOperationException: SHOP_URL is not set."));
        Assert.That(missing.ExitCode, Is.EqualTo(2), missing.ToString());
        Assert.That(missing.Error, Does.Contain("TESTS.dll = 'Shop.LoadTests.dll': no such file"));
        Assert.That(_server.Values, Is.Empty, "nothing ran");
    }

    [Test]
    public async Task Run_TargetUnreachable_ExitsThreeSayingNoStepCallSucceeded()
    {
        // A port that was free a moment ago: the connection is refused.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var closed = $"http://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}";
        listener.Stop();
        var plan = WritePlan("down.yaml", baseAddress: closed);

        var run = await LoadkitProcess.RunAsync(_folder, "run", plan, "--out", Path.Combine(_folder, "out"));

        Assert.That(run.ExitCode, Is.EqualTo(3), run.ToString());
        Assert.That(run.Error, Does.Contain("no step call succeeded"));
        Assert.That(File.Exists(Path.Combine(_folder, "out", "report.html")), Is.True, "the reports show what failed");
    }

    [Test]
    public async Task Run_Help_ListsEveryOptionAndTheExitCodes()
    {
        var help = await LoadkitProcess.RunAsync(_folder, "run", "--help");

        Assert.That(help.ExitCode, Is.Zero, help.ToString());
        Assert.That(help.Output, Does.Contain("--profile smoke|full").And.Contain("--scale X").And.Contain("--out DIR").And.Contain("--etcd URL")
            .And.Contain("Exit code: 0 every threshold passed; 1 a threshold failed; 2 bad input"));
    }

    [GeneratedRegex(@"^\d\d:\d\d / \d\d:\d\d  VUs \d+  rps [\d,]+  p95 (?:[\d.]+ ms|-)  failures [\d,]+ of (?<calls>[\d,]+) \([\d.]+ %\)\r?$", RegexOptions.Multiline)]
    private static partial Regex ProgressLine();
}
