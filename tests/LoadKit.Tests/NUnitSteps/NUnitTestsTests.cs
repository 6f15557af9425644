using LoadKit.NUnitSteps;
using LoadKit.TestTargets;

namespace LoadKit.Tests.NUnitSteps;

/// <summary>
/// A plain NUnit test assembly (tests/Fixtures/PlainNUnitTests, NUnit 5, no LoadKit in it) run as load in this
/// process, whose own NUnit is another version: fixtures per VU, set-ups and tear-downs, failures per test.
/// </summary>
public class NUnitTestsTests
{
    private const string Target = "PLAIN_NUNIT_TARGET";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>The fixture assembly, built next to this one in the same configuration.</summary>
    internal static string FixturePath
    {
        get
        {
            var folder = AppContext.BaseDirectory.Replace(Path.Combine("tests", "LoadKit.Tests"), Path.Combine("tests", "Fixtures", "PlainNUnitTests"), StringComparison.Ordinal);
            var path = Path.Combine(folder, "PlainNUnitTests.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"The fixture assembly is not built at {path}.");
        }
    }

    [Test]
    public void Load_PlainNUnitAssembly_ListsParameterlessTestsOnly()
    {
        var tests = LoadKit.NUnitTests.Load(FixturePath);

        Assert.That(tests.Names, Does.Contain("PlainNUnitTests.ShopTests.Passes"));
        Assert.That(tests.Names, Does.Contain("PlainNUnitTests.ShopTests.GetsProductsAsync"));
        Assert.That(tests.Names, Does.Contain("PlainNUnitTests.AccountTests.Passes"));
        Assert.That(tests.Names.Where(n => n.EndsWith(".AddsItems", StringComparison.Ordinal) || n.EndsWith(".Flaky", StringComparison.Ordinal)), Is.Empty,
            "[TestCase] and [Ignore] tests are not offered");
        Assert.That(tests.Assembly.GetName().Name, Is.EqualTo("PlainNUnitTests"));
        Assert.That(tests.Assembly.GetReferencedAssemblies().Any(a => a.Name == "LoadKit"), Is.False, "the fixture assembly knows nothing of LoadKit");
    }

    [Test]
    public void Step_ShortOrFullName_FindsTheTest()
    {
        var tests = LoadKit.NUnitTests.Load(FixturePath);

        Assert.That(tests.Step("GetsProductsAsync").TestName, Is.EqualTo("PlainNUnitTests.ShopTests.GetsProductsAsync"));
        Assert.That(tests.Step("AccountTests.Passes").TestName, Is.EqualTo("PlainNUnitTests.AccountTests.Passes"));
        Assert.That(tests.Step("AccountTests.Passes").Name, Is.EqualTo("AccountTests.Passes"), "the step is named as the test was given");
    }

    [TestCase("AddsItems", "is parameterised ([TestCase]")]
    [TestCase("Flaky", "is marked [Ignore(\"flaky\")]")]
    [TestCase("Passes", "more than one test of PlainNUnitTests.dll is named so (PlainNUnitTests.AccountTests.Passes, PlainNUnitTests.ShopTests.Passes)")]
    [TestCase("NoSuchTest", "PlainNUnitTests.dll has no [Test] of that name; it has these tests: PlainNUnitTests.AccountTests.Passes, ")]
    public void Step_TestThatCannotRun_ThrowsNamingItAndWhy(string name, string expected)
    {
        var tests = LoadKit.NUnitTests.Load(FixturePath);

        var exception = Assert.Throws<ArgumentException>(() => tests.Step(name));

        Assert.That(exception!.Message, Does.StartWith($"test = '{name}': "));
        Assert.That(exception.Message, Does.Contain(expected));
    }

    [Test]
    public void Load_MissingFile_ThrowsNamingThePath()
    {
        var exception = Assert.Throws<ArgumentException>(() => LoadKit.NUnitTests.Load("nowhere/Missing.Tests.dll"));

        Assert.That(exception!.Message, Does.StartWith("test assembly = 'nowhere/Missing.Tests.dll': no such file"));
    }

    [Test]
    public async Task RunAsync_FixtureTests_RunWithTheirLifeCycleAndCountFailuresPerTest()
    {
        await using var target = await DelayServer.StartAsync(("/products", TimeSpan.Zero));
        Environment.SetEnvironmentVariable(Target, target.BaseAddress.ToString());
        try
        {
            var tests = LoadKit.NUnitTests.Load(FixturePath);
            var scenario = Scenario.Create("shop")
                .Step(tests.Step("ShopTests.Passes"))
                .Step(tests.Step("GetsProductsAsync"))
                .Step(tests.Step("YieldsAsync"))
                .Step(tests.Step("FailsEveryFifthCall")) // last: a failed step ends its iteration
                .Step(tests.Step("AccountTests.Passes"))
                .WithLoad(Load.IterationsPerUser(4, 25, Bound))
                .Build();

            var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

            var shop = result.Scenarios[0];
            Assert.That(shop.GetStep("ShopTests.Passes").Ok, Is.EqualTo(100));
            Assert.That(shop.GetStep("GetsProductsAsync").Ok, Is.EqualTo(100));
            Assert.That(target.Requests, Is.EqualTo(100), "the async test called the target once per call");
            Assert.That(shop.GetStep("YieldsAsync").Ok, Is.EqualTo(100));
            var fifth = shop.GetStep("FailsEveryFifthCall");
            Assert.That((fifth.Ok, fifth.Failed), Is.EqualTo((80L, 20L)), "calls 5, 10, ..., 100 fail");
            Assert.That(fifth.Errors.Single().Message, Does.StartWith("Assertion failed: every fifth call fails ").And.EndWith("Expected: not equal to 0 But was: 0"),
                "NUnit's message on one line");
            Assert.That(shop.GetStep("AccountTests.Passes").Ok, Is.EqualTo(80), "runs only after the fifth-call test passed");

            // Counted by the fixture itself: 4 steps of ShopTests x 100 calls; one instance per VU, set up once, torn down once.
            Assert.That(Counter(tests, "SetUps"), Is.EqualTo(400));
            Assert.That(Counter(tests, "TearDowns"), Is.EqualTo(400));
            Assert.That(Counter(tests, "Constructed"), Is.EqualTo(4));
            Assert.That(Counter(tests, "OneTimeSetUps"), Is.EqualTo(4));
            Assert.That(Counter(tests, "OneTimeTearDowns"), Is.EqualTo(4));
            Assert.That(Counter(tests, "Disposed"), Is.EqualTo(4));

            // The fixture's failed assertions went to its own NUnit, not to this test's.
            Assert.That(TestContext.CurrentContext.Result.Assertions, Is.Empty);
        }
        finally
        {
            Environment.SetEnvironmentVariable(Target, null);
        }
    }

    [Test]
    public async Task RunAsync_ExceptionIgnoreInconclusiveAndPass_FailTheFirstThreeAndPassTheLast()
    {
        var tests = LoadKit.NUnitTests.Load(FixturePath);
        Scenario One(string test) => Scenario.Create(test).Step(tests.Step(test)).WithLoad(Load.IterationsPerUser(2, 5, Bound)).Build();

        var result = await LoadRunner.RunAsync([One("Throws"), One("IsIgnored"), One("IsInconclusive"), One("PassesEarly")]).WaitAsync(Bound);

        var throws = result.Scenarios.Single(s => s.Name == "Throws").GetStep("Throws");
        Assert.That((throws.Failed, throws.Errors.Single().Message), Is.EqualTo((10L, "InvalidOperationException: the shop is closed")));
        var ignored = result.Scenarios.Single(s => s.Name == "IsIgnored").GetStep("IsIgnored");
        Assert.That((ignored.Failed, ignored.Errors.Single().Message), Is.EqualTo((10L, "Ignored: not in this environment")));
        var inconclusive = result.Scenarios.Single(s => s.Name == "IsInconclusive").GetStep("IsInconclusive");
        Assert.That((inconclusive.Failed, inconclusive.Errors.Single().Message), Is.EqualTo((10L, "Inconclusive: no stock to test with")));
        var passes = result.Scenarios.Single(s => s.Name == "PassesEarly").GetStep("PassesEarly");
        Assert.That((passes.Ok, passes.Failed), Is.EqualTo((10L, 0L)), "Assert.Pass passes");
    }

    [Test]
    public async Task RunAsync_SyncTestsThatBlock_RunOnAThreadPerVuSoAllBlockAtOnce()
    {
        var tests = LoadKit.NUnitTests.Load(FixturePath);
        var scenario = Scenario.Create("blocking").Step(tests.Step("BlocksBriefly")).WithLoad(Load.IterationsPerUser(16, 10, Bound)).Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).Scenarios[0].GetStep("BlocksBriefly");

        Assert.That(step.Ok, Is.EqualTo(160));
        // On the thread pool of 2 cores, 5 at most blocked at once (169 calls/s where 1,600 were due).
        Assert.That(Counter(tests, "MostBlockingAtOnce"), Is.GreaterThanOrEqualTo(12));
    }

    [Test]
    public async Task Step_InTasksOfAMix_RunsEachTaskTest()
    {
        var tests = LoadKit.NUnitTests.Load(FixturePath);
        var scenario = Scenario.Create("mix")
            .WithTask("yield", 1, task => task.Step(tests.Step("YieldsAsync")))
            .WithTask("account", 1, task => task.Step(tests.Step("AccountTests.Passes")))
            .WithLoad(Load.IterationsPerUser(2, 20, Bound))
            .Build();

        var result = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).Scenarios[0];

        Assert.That(result.GetStep("YieldsAsync").Ok + result.GetStep("AccountTests.Passes").Ok, Is.EqualTo(40));
        Assert.That(result.Steps.Sum(s => s.Failed), Is.Zero);
    }

    [Test]
    public async Task RunAsync_SetUpsInABaseClass_RunBaseFirstAndTearDownsDerivedFirst()
    {
        var tests = LoadKit.NUnitTests.Load(FixturePath);
        var scenario = Scenario.Create("ordered").Step(tests.Step("RunsBetweenSetUpAndTearDown")).WithLoad(Load.IterationsPerUser(2, 5, Bound)).Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).Scenarios[0].GetStep("RunsBetweenSetUpAndTearDown");

        Assert.That((step.Ok, step.Failed), Is.EqualTo((10L, 0L)), "the base tear-down checks the order: " + string.Join("; ", step.Errors.Select(e => e.Message)));
    }

    [Test]
    public async Task RunAsync_OneTimeSetUpFails_EveryCallFailsNamingItAndTriesAgain()
    {
        var tests = LoadKit.NUnitTests.Load(FixturePath);
        var scenario = Scenario.Create("broken").Step(tests.Step("NeedsTheDatabase")).WithLoad(Load.IterationsPerUser(2, 3, Bound)).Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).Scenarios[0].GetStep("NeedsTheDatabase");

        Assert.That(step.Failed, Is.EqualTo(6));
        Assert.That(step.Errors.Single().Message, Is.EqualTo("[OneTimeSetUp] Connect failed: InvalidOperationException: no database"));
    }

    [Test]
    public async Task RunAsync_IterationsPerUser_RunsEachTestThatOftenPerVU()
    {
        var tests = LoadKit.NUnitTests.Load(FixturePath);

        var result = await tests.RunAsync(new NUnitLoad(["YieldsAsync"], 2, Bound) { Iterations = 3 }).WaitAsync(Bound);

        Assert.That(result.Scenarios.Single().Name, Is.EqualTo("PlainNUnitTests"));
        Assert.That(result.GetStep("YieldsAsync").Ok, Is.EqualTo(6));
    }

    [Test]
    public void BuildScenario_UnknownAndParameterisedTests_ListsEveryProblem()
    {
        var tests = LoadKit.NUnitTests.Load(FixturePath);
        var load = new NUnitLoad(["Passes", "AddsItems", "Nope", "YieldsAsync"], 2, TimeSpan.FromSeconds(1));

        var exception = Assert.Throws<ArgumentException>(() => load.BuildScenario(tests));

        Assert.That(exception!.Message, Does.Contain("test = 'Passes': more than one"));
        Assert.That(exception.Message, Does.Contain("test = 'AddsItems': PlainNUnitTests.ShopTests.AddsItems is parameterised"));
        Assert.That(exception.Message, Does.Contain("test = 'Nope': PlainNUnitTests.dll has no [Test]"));
        Assert.That(exception.Message, Does.Not.Contain("'YieldsAsync'"));
    }

    [Test]
    public void Resolve_LoadKitFactoryOnAPlainAssembly_BuildsTheForwardedScenarioAsAWorkerDoes()
    {
        var tests = LoadKit.NUnitTests.Load(FixturePath);
        var locator = NUnitScenarioFactory.Locator(tests);
        var load = new NUnitLoad(["YieldsAsync", "AccountTests.Passes"], 3, TimeSpan.FromSeconds(5));
        Environment.SetEnvironmentVariable(NUnitLoad.Variable, load.ToJson());
        try
        {
            var scenario = LoadKit.Scenarios.ScenarioLocator.Resolve(tests.Assembly, locator.TypeName, locator.MethodName)();

            Assert.That(locator.AssemblyPath, Is.EqualTo(tests.AssemblyPath), "the plain assembly is the one uploaded");
            Assert.That(scenario.Name, Is.EqualTo("PlainNUnitTests"));
            Assert.That(scenario.StepNames, Is.EqualTo(new[] { "YieldsAsync", "AccountTests.Passes" }));
        }
        finally
        {
            Environment.SetEnvironmentVariable(NUnitLoad.Variable, null);
        }
    }

    [Test]
    public void FromJson_WhatToJsonWrote_IsTheSameLoad()
    {
        var load = new NUnitLoad(["ShopTests.Passes", "YieldsAsync"], 7, TimeSpan.FromSeconds(12)) { StepTimeout = TimeSpan.FromSeconds(3), Iterations = 9 };

        var read = NUnitLoad.FromJson(load.ToJson(), "test");

        Assert.That((read.Tests, read.Users, read.Duration, read.StepTimeout, read.Iterations),
            Is.EqualTo((load.Tests, 7, TimeSpan.FromSeconds(12), (TimeSpan?)TimeSpan.FromSeconds(3), (int?)9)));
        Assert.That(() => NUnitLoad.FromJson("{", "LOADKIT_NUNIT_LOAD"), Throws.ArgumentException.With.Message.StartWith("LOADKIT_NUNIT_LOAD = '{': not the NUnit load"));
    }

    private static int Counter(LoadKit.NUnitTests tests, string name) =>
        (int)tests.Assembly.GetType("PlainNUnitTests.Counters", throwOnError: true)!.GetProperty(name)!.GetValue(null)!;
}
