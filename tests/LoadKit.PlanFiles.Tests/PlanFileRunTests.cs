using FluentAssertions;
using LoadKit.Testing;
using LoadKit.TestTargets;
using LoadKit.Tests.HttpSteps;

namespace LoadKit.PlanFiles.Tests;

/// <summary>Plans run against a real Kestrel shop on 127.0.0.1 that verifies the tokens and form values a client carried along.</summary>
public class PlanFileRunTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    private ShopTarget _shop = null!;
    private string _folder = "";

    [SetUp]
    public async Task StartShop()
    {
        _shop = await ShopTarget.StartAsync();
        _folder = Directory.CreateTempSubdirectory("loadkit-plan-").FullName;
        await File.WriteAllTextAsync(Path.Combine(_folder, "users.csv"), "user\nanna\nbert\ncarla\n");
    }

    [TearDown]
    public async Task StopShop()
    {
        await _shop.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>The same scenario three ways: a feed, a token chain (login → extract → authorised call), a check that fails, a threshold.</summary>
    private string Yaml => $$$"""
        http:
          baseAddress: {{{_shop.Http1}}}
        feeds:
          users: { csv: users.csv }
        scenarios:
          - name: chain
            steps:
              - feed: users
              - name: login
                request:
                  method: POST
                  url: /login
                  json: { user: "{{user}}", password: secret }
                checks:
                  - jsonPath: $.state
                    equals: active
                extract:
                  token: { jsonPath: $.token }
              - name: orders
                request:
                  url: /orders
                  query: { user: "{{user}}" }
                  headers: { Authorization: "Bearer {{token}}" }
                checks:
                  - status: 200
                  - bodyMatches: '"id":4711'
              - think: 5ms
              - name: hello
                request: { url: /hello }
                checks:
                  - bodyContains: bye
            load:
              - iterationsPerUser: { users: 3, iterations: 4 }
            thresholds:
              - step: hello
                metric: failureRate
                below: 0.5
              - step: orders
                metric: p95
                below: 5s
        """;

    private string Json => $$$"""
        {
          "http": { "baseAddress": "{{{_shop.Http1}}}" },
          "feeds": { "users": { "csv": "users.csv" } },
          "scenarios": [
            {
              "name": "chain",
              "steps": [
                { "feed": "users" },
                {
                  "name": "login",
                  "request": { "method": "POST", "url": "/login", "json": { "user": "{{user}}", "password": "secret" } },
                  "checks": [ { "jsonPath": "$.state", "equals": "active" } ],
                  "extract": { "token": { "jsonPath": "$.token" } }
                },
                {
                  "name": "orders",
                  "request": { "url": "/orders", "query": { "user": "{{user}}" }, "headers": { "Authorization": "Bearer {{token}}" } },
                  "checks": [ { "status": 200 }, { "bodyMatches": "\"id\":4711" } ]
                },
                { "think": "5ms" },
                { "name": "hello", "request": { "url": "/hello" }, "checks": [ { "bodyContains": "bye" } ] }
              ],
              "load": [ { "iterationsPerUser": { "users": 3, "iterations": 4 } } ],
              "thresholds": [
                { "step": "hello", "metric": "failureRate", "below": 0.5 },
                { "step": "orders", "metric": "p95", "below": "5s" }
              ]
            }
          ]
        }
        """;

    private Scenario CSharp() => Scenario.Create("chain")
        .WithHttp(new HttpSettings { BaseAddress = _shop.Http1 })
        .Feed(DataFeed.FromCsv(Path.Combine(_folder, "users.csv")))
        .Step("login", Http.Post("/login")
            .WithJson("""{"user":"{{user}}","password":"secret"}""")
            .Check(HttpCheck.JsonValueIs("$.state", "active"))
            .Extract("token", HttpExtract.JsonPath("$.token")))
        .Step("orders", Http.Get("/orders")
            .WithQuery("user", "{{user}}")
            .WithHeader("Authorization", "Bearer {{token}}")
            .Check(HttpCheck.StatusIs(200))
            .Check(HttpCheck.BodyMatches("\"id\":4711")))
        .ThinkTime(TimeSpan.FromMilliseconds(5))
        .Step("hello", Http.Get("/hello").Check(HttpCheck.BodyContains("bye")))
        .WithLoad(Load.IterationsPerUser(users: 3, iterations: 4))
        .WithThresholds(
            Threshold.Step("hello").FailureRate.Below(0.5),
            Threshold.Step("orders").Percentile(95).Below(TimeSpan.FromSeconds(5)))
        .Build();

    [Test]
    public async Task Parse_SameScenarioInYamlJsonAndCSharp_GivesTheSameCounts()
    {
        var runs = new List<(string Way, LoadResult Result, long Authorized)>();
        foreach (var (way, scenario) in new[]
        {
            ("YAML", PlanFile.Parse(Yaml, "chain.yaml", _folder).GetScenario("chain")),
            ("JSON", PlanFile.Parse(Json, "chain.json", _folder).GetScenario("chain")),
            ("C#", CSharp()),
        })
        {
            var before = _shop.Authorized;
            var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);
            runs.Add((way, result, _shop.Authorized - before));
        }

        string Counts(LoadResult r) => string.Join("; ", new[] { "login", "orders", "hello" }.Select(s => r.GetStep(s))
            .Select(s => $"{s.Name} ok {s.Ok} failed {s.Failed} timed out {s.TimedOut} errors [{string.Join(", ", s.Errors.Select(e => $"{e.Message} × {e.Count}"))}]"))
            + "; thresholds " + string.Join(", ", r.Thresholds.Select(t => $"{t.Threshold} {(t.Passed ? "passed" : "crossed")}"));

        var csharp = Counts(runs[2].Result);
        Assert.That(csharp, Is.EqualTo(
            "login ok 12 failed 0 timed out 0 errors []; orders ok 12 failed 0 timed out 0 errors []; "
            + "hello ok 0 failed 12 timed out 0 errors [body contains 'bye' × 12]; "
            + $"thresholds {runs[2].Result.Thresholds[0].Threshold} crossed, {runs[2].Result.Thresholds[1].Threshold} passed"));
        Assert.Multiple(() =>
        {
            foreach (var (way, result, authorized) in runs)
            {
                Assert.That(Counts(result), Is.EqualTo(csharp), way);
                Assert.That(authorized, Is.EqualTo(12), $"{way}: the shop verified each token it issued");
            }
        });
        Assert.That(_shop.Rejected, Is.Zero);
    }

    [Test]
    public async Task Load_SamplePlan_RunsItsSmokeLoadAndPassesItsGates()
    {
        var sample = Path.Combine(LoadKit.TestTargets.Repository.Root, "samples", "Plans");
        var text = (await File.ReadAllTextAsync(Path.Combine(sample, "checkout.yaml"))).Replace("http://127.0.0.1:5000", _shop.Http1.ToString().TrimEnd('/'), StringComparison.Ordinal);
        var plan = PlanFile.Parse(text, "checkout.yaml", sample);

        var result = await LoadRunner.RunAsync(plan.Scenarios, new RunOptions { Profile = LoadProfile.Smoke }).WaitAsync(Bound);

        var scenario = result.Scenarios.Single();
        var (buyer, browser) = (scenario.Tasks.Single(t => t.Name == "buyer").Completed, scenario.Tasks.Single(t => t.Name == "browser").Completed);
        Assert.That(buyer + browser, Is.EqualTo(20), "2 users × 10 iterations, each picking a task");
        Assert.That(result.GetStep("orders").Ok, Is.EqualTo(buyer), string.Join("; ", result.GetStep("orders").Errors));
        Assert.That(result.GetStep("submit").Ok, Is.EqualTo(buyer), string.Join("; ", result.GetStep("submit").Errors));
        Assert.That(result.GetStep("hello").Ok, Is.EqualTo(browser));
        Assert.That((_shop.Authorized, _shop.Submitted, _shop.Rejected), Is.EqualTo((buyer, buyer, 0L)));

        // Pre-work ran once per VU that picked the buyer task, and its extractions fed every submit.
        var preWork = scenario.PreWork.Single(p => p.Name == "buyer");
        Assert.That(preWork.Ok, Is.InRange(1, 2));
        Assert.That(preWork.Failed, Is.Zero);

        result.Should().HaveStep("orders").WithPercentile(95).Below(TimeSpan.FromMilliseconds(500));
        result.Should().HaveFailureRateBelow(0.01);
        Assert.That(result.Thresholds.Select(t => t.Passed), Is.EqualTo(new[] { true, true }));
    }

    [Test]
    public async Task Load_PlanInATest_LoadTestRunsItAndGatesJudgeIt()
    {
        var path = Path.Combine(_folder, "smoke.yaml");
        await File.WriteAllTextAsync(path, $$$"""
            http: { baseAddress: "{{{_shop.Http1}}}", connections: shared }
            scenarios:
              - name: smoke
                steps:
                  - name: hello
                    request: { url: /hello }
                    checks: [ { bodyLength: { equals: 5 } } ]
                load:
                  - sharedIterations: { users: 2, iterations: 30 }
                thresholds:
                  - metric: failureCount
                    atMost: 0
            """);

        var result = await LoadTest.RunAsync([.. PlanFile.Load(path).Scenarios]).WaitAsync(Bound);

        result.Should().HaveStep("hello").WithPercentile(99).Below(TimeSpan.FromSeconds(2));
        result.Should().HaveFailureCountAtMost(0);
        Assert.That(result.GetStep("hello").Ok, Is.EqualTo(30));
    }

    [Test]
    public async Task Parse_WeightedTasksWithPreWork_PreWorkOncePerUserAndTheTokenReachesEveryCall()
    {
        var plan = PlanFile.Parse($$$"""
            variables: { user: anna }
            scenarios:
              - name: mix
                http: { baseAddress: "{{{_shop.Http1}}}" }
                tasks:
                  - name: buyer
                    weight: 3
                    preWork:
                      - request: { method: POST, url: /login, json: '{"user":"{{user}}","password":"secret"}' }
                        extract: { token: { jsonPath: $.token } }
                    steps:
                      - name: orders
                        request: { url: "/orders?user={{user}}", headers: { Authorization: "Bearer {{token}}" } }
                  - name: browser
                    steps:
                      - name: hello
                        request: { url: /hello }
                load:
                  - iterationsPerUser: { users: 4, iterations: 50 }
            """, "mix.yaml");

        var result = await LoadRunner.RunAsync(plan.Scenarios).WaitAsync(Bound);

        var scenario = result.Scenarios.Single();
        var buyer = scenario.Tasks.Single(t => t.Name == "buyer").Completed;
        var browser = scenario.Tasks.Single(t => t.Name == "browser").Completed;
        Assert.That(buyer + browser, Is.EqualTo(200));
        Assert.That(buyer, Is.GreaterThan(browser), "weights 3 : 1");
        Assert.That(scenario.PreWork.Single().Ok, Is.EqualTo(4), "once per VU (each of the 4 picked the buyer task)");
        Assert.That(result.GetStep("orders").Ok, Is.EqualTo(buyer));
        Assert.That((_shop.Authorized, _shop.Rejected), Is.EqualTo((buyer, 0L)));
    }

    [Test]
    public async Task Parse_PreTaskWithAFailingCheck_EveryUsersInitFailsNamingTheCheck()
    {
        var plan = PlanFile.Parse($$$"""
            scenarios:
              - name: init
                http: { baseAddress: "{{{_shop.Http1}}}" }
                preTasks:
                  - name: wrong password
                    request: { method: POST, url: /login, json: { user: anna, password: wrong } }
                    checks: [ { status: [200, 403] }, { bodyContains: token } ]
                steps:
                  - name: hello
                    request: { url: /hello }
                load:
                  - iterationsPerUser: { users: 2, iterations: 3 }
            """, "init.yaml");

        var result = await LoadRunner.RunAsync(plan.Scenarios).WaitAsync(Bound);

        var init = result.Scenarios.Single().Init!;
        Assert.That((init.Ok, init.Failed), Is.EqualTo((0L, 2L)));
        Assert.That(init.Errors.Select(e => e.Message), Is.EquivalentTo(new[] { "InvalidOperationException: POST /login: body contains 'token'" }));
        Assert.That(result.GetStep("hello").Ok, Is.Zero, "a VU whose init failed runs no iterations");
    }

    [Test]
    public void Load_PlanWithFeeds_ListsTheirFilesAsThePlanNamesThem()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "data"));
        File.WriteAllText(Path.Combine(_folder, "data", "ids.jsonl"), "{\"id\": 1}\n");
        var path = Path.Combine(_folder, "feeds.yaml");
        File.WriteAllText(path, $$"""
            http: { baseAddress: {{_shop.Http1}} }
            feeds:
              users: { csv: users.csv }
              ids: { jsonLines: data/ids.jsonl }
            scenarios:
              - name: feeds
                steps: [ { feed: users }, { feed: ids }, { name: hello, request: { url: /hello } } ]
                load: [ { sharedIterations: { users: 1, iterations: 1 } } ]
            """);

        // What a distributed run sends to the workers with the plan.
        Assert.That(PlanFile.Load(path).FeedFiles, Is.EqualTo(new[] { "users.csv", "data/ids.jsonl" }));
    }

    [Test]
    public async Task Parse_HttpProxy_EveryRequestGoesThroughIt()
    {
        // The recorder answers any request; nothing listens at the plan's base address, so only a proxied request is answered.
        using var proxy = await ArrivalRecorder.StartAsync();
        var plan = PlanFile.Parse($$$"""
            http: { baseAddress: "http://127.0.0.1:9/", proxy: "{{{proxy.Address}}}" }
            scenarios:
              - name: proxied
                steps:
                  - name: get
                    request: { url: /items }
                load:
                  - iterationsPerUser: { users: 2, iterations: 3 }
            """, "proxied.yaml", _folder);

        var step = (await LoadRunner.RunAsync(plan.Scenarios).WaitAsync(Bound)).GetStep("get");

        Assert.That(step.Ok, Is.EqualTo(6), string.Join("; ", step.Errors));
        Assert.That(proxy.Requests, Is.EqualTo(6), "the proxy's own count");
    }

    [Test]
    public async Task Parse_WeightedTasksOver10000Iterations_EachTaskWithin2PercentOfItsWeight()
    {
        var plan = PlanFile.Parse($$$"""
            http: { baseAddress: "{{{_shop.Http1}}}" }
            scenarios:
              - name: mix
                tasks:
                  - name: heavy
                    weight: 3
                    steps:
                      - name: a
                        request: { url: /hello }
                  - name: light
                    weight: 1
                    steps:
                      - name: b
                        request: { url: /hello }
                load:
                  - iterationsPerUser: { users: 20, iterations: 500 }
            """, "mix.yaml", _folder);

        var result = await LoadRunner.RunAsync(plan.Scenarios).WaitAsync(Bound);

        var tasks = result.Scenarios.Single().Tasks.ToDictionary(t => t.Name, t => t.Completed);
        Assert.That(tasks["heavy"] + tasks["light"], Is.EqualTo(10_000));
        // Random picks: the share's standard deviation over 10,000 is 0.43 points, so 2 points is 4.6 of them.
        Assert.That(tasks["heavy"] / 10_000.0, Is.EqualTo(0.75).Within(0.02));
        Assert.That(tasks["light"] / 10_000.0, Is.EqualTo(0.25).Within(0.02));
        Assert.That((result.GetStep("a").Ok, result.GetStep("b").Ok), Is.EqualTo((tasks["heavy"], tasks["light"])));
    }
}
