using LoadKit.Workload;

namespace LoadKit.Tests.Engine;

public class RunOptionsTests
{
    private static Scenario Shop() => Scenario.Create("shop")
        .Step("a", _ => ValueTask.CompletedTask)
        .WithLoad(Load.IterationsPerUser(10, 20), Load.ArrivalRate(100, TimeSpan.FromSeconds(1), 2, 7))
        .WithSmokeLoad(Load.IterationsPerUser(1, 3))
        .Build();

    [Test]
    public async Task RunAsync_SmokeProfile_RunsTheSmokeLoad()
    {
        var result = await LoadRunner.RunAsync(Shop(), new RunOptions { Profile = LoadProfile.Smoke });

        Assert.That(result.GetStep("a").Ok, Is.EqualTo(3));
    }

    [Test]
    public async Task RunAsync_SmokeProfileWithoutSmokeLoad_RunsTheFullLoad()
    {
        var scenario = Scenario.Create("no smoke").Step("a", _ => ValueTask.CompletedTask).WithLoad(Load.IterationsPerUser(2, 4)).Build();

        var result = await LoadRunner.RunAsync(scenario, new RunOptions { Profile = LoadProfile.Smoke });

        Assert.That(result.GetStep("a").Ok, Is.EqualTo(8));
    }

    [Test]
    public void PlanFor_LoadScale_MultipliesUsersRatesAndIterationsButNotDurations()
    {
        var plan = RunPlan.LoadOf(Shop(), LoadProfile.Full, 0.25);

        var iterations = (IterationsBlock)plan.Blocks[0];
        var arrivals = (ArrivalBlock)plan.Blocks[1];
        Assert.That((iterations.Users, iterations.Iterations), Is.EqualTo((3, 5)));
        Assert.That((arrivals.TotalIterations, arrivals.PreAllocatedUsers, arrivals.MaxPoolUsers), Is.EqualTo((25L, 1, 2)));
        Assert.That(arrivals.Duration, Is.EqualTo(TimeSpan.FromSeconds(1)));
    }

    [Test]
    public void Parse_TextValues_AppliesThemOverTheFallback()
    {
        var options = RunOptions.Parse(" Smoke ", "p", "2.5", "s", RunOptions.Default);
        var unchanged = RunOptions.Parse(null, "p", "", "s", options);

        Assert.That(options, Is.EqualTo(new RunOptions { Profile = LoadProfile.Smoke, LoadScale = 2.5 }));
        Assert.That(unchanged, Is.EqualTo(options));
    }

    [TestCase("smok", "2", "LOADKIT_PROFILE = 'smok': allowed values are 'smoke' and 'full'.")]
    [TestCase("full", "0", "LOADKIT_LOAD_SCALE = '0': must be a number greater than 0, e.g. 0.1 or 2.")]
    [TestCase("full", "lots", "LOADKIT_LOAD_SCALE = 'lots': must be a number greater than 0, e.g. 0.1 or 2.")]
    public void Parse_BadValue_NamesTheSettingTheValueAndWhatIsAllowed(string profile, string scale, string message)
    {
        var exception = Assert.Throws<ArgumentException>(
            () => RunOptions.Parse(profile, RunOptions.ProfileVariable, scale, RunOptions.LoadScaleVariable, RunOptions.Default));

        Assert.That(exception.Message, Is.EqualTo(message));
    }

    [Test]
    public async Task RunAsync_TwoScenarios_RunAtTheSameTimeEachWithItsOwnLoad()
    {
        var browse = Scenario.Create("browse").Step("list", async ctx => await Task.Delay(10, ctx.CancellationToken))
            .WithLoad(Load.ConstantUsers(3, TimeSpan.FromSeconds(1))).Build();
        var buy = Scenario.Create("buy").Step("pay", async ctx => await Task.Delay(10, ctx.CancellationToken))
            .WithLoad(Load.ArrivalRate(20, TimeSpan.FromSeconds(1), 1, 5)).Build();

        var result = await LoadRunner.RunAsync([browse, buy]);

        Assert.That(result.Scenarios.Select(s => s.Name), Is.EqualTo(new[] { "browse", "buy" }));
        Assert.That(result.GetStep("pay").Ok, Is.EqualTo(20));
        Assert.That(result.GetStep("list").Ok, Is.GreaterThan(3 * 30));
        Assert.That(result.Duration, Is.LessThan(TimeSpan.FromSeconds(1.8)), "in parallel, not one after the other");
    }

    [Test]
    public void RunAsync_DuplicateScenarioNames_ThrowsNamingThem()
    {
        var exception = Assert.ThrowsAsync<ArgumentException>(() => LoadRunner.RunAsync([Shop(), Shop()]));

        Assert.That(exception!.Message, Does.Contain("used more than once: 'shop'"));
    }
}
