namespace LoadKit.Tests.Scenarios;

public class ScenarioBuilderTests
{
    private static ValueTask Noop(StepContext context) => ValueTask.CompletedTask;

    [Test]
    public void Build_ValidScenario_KeepsStepsInOrderAndLoad()
    {
        var scenario = Scenario.Create("checkout")
            .Step("browse", Noop)
            .ThinkTime(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(20))
            .Step("pay", Noop)
            .WithLoad(Load.ConstantUsers(3, TimeSpan.FromSeconds(5)), Load.IterationsPerUser(2, 7))
            .Build();

        Assert.That(scenario.Name, Is.EqualTo("checkout"));
        Assert.That(scenario.StepNames, Is.EqualTo(new[] { "browse", "pay" }));
        Assert.That(scenario.Load.Select(p => p.ToString()), Is.EqualTo(new[] { "3 users for 5 s", "2 users × 7 iterations (at most 10 min)" }));
        Assert.That(scenario.Load[1].Duration, Is.EqualTo(Load.DefaultMaxDuration));
        Assert.That(scenario.GracefulStop, Is.EqualTo(Scenario.DefaultGracefulStop));
    }

    [Test]
    public void Build_ManyProblems_ListsEveryOneWithSettingValueAndAllowed()
    {
        var builder = Scenario.Create("")
            .Step("a", Noop)
            .Step("a", Noop)
            .Step(" ", Noop)
            .ThinkTime(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(1))
            .WithLoad(Load.ConstantUsers(0, TimeSpan.FromSeconds(-1)), Load.IterationsPerUser(2, 0))
            .WithGracefulStop(TimeSpan.FromSeconds(-2));

        var exception = Assert.Throws<ScenarioValidationException>(() => builder.Build());

        Assert.That(exception.Problems.Select(p => p.Setting), Is.EquivalentTo(new[]
        {
            "Name", "Steps[1].Name", "Steps[2].Name", "ThinkTime[0]", "Load[0].Users", "Load[0].During",
            "Load[1].Iterations", "GracefulStop",
        }));
        Assert.That(exception.Message, Does.StartWith("Scenario '' is invalid (8 problems):"));
        Assert.That(exception.Message, Does.Contain("Load[0].Users = 0: must be 1 or more"));
        Assert.That(exception.Message, Does.Contain("Load[0].During = -1 s: must be longer than 0"));
        Assert.That(exception.Message, Does.Contain("Steps[1].Name = 'a': a name not used by another step of this scenario"));
        Assert.That(exception.Message, Does.Contain("ThinkTime[0] = min 3 s > max 1 s: min must not exceed max"));
        Assert.That(exception.Message, Does.Contain("GracefulStop = -2 s: must be 0 or more"));
    }

    [Test]
    public void Build_NoStepsAndNoLoad_ReportsBoth()
    {
        var exception = Assert.Throws<ScenarioValidationException>(() => Scenario.Create("empty").Build());

        Assert.That(exception.ScenarioName, Is.EqualTo("empty"));
        Assert.That(exception.Problems.Select(p => p.Setting), Is.EquivalentTo(new[] { "Steps", "Load" }));
        Assert.That(exception.Message, Does.Contain("Load = none: at least one phase"));
    }

    [Test]
    public void Build_TimeoutsNotPositive_ReportsEachTimeout()
    {
        var builder = Scenario.Create("timeouts")
            .Step("a", Noop, timeout: TimeSpan.Zero)
            .WithStepTimeout(TimeSpan.FromSeconds(-1))
            .WithLoad(Load.IterationsPerUser(1, 1, maxDuration: TimeSpan.Zero));

        var exception = Assert.Throws<ScenarioValidationException>(() => builder.Build());

        Assert.That(exception.Problems.Select(p => p.Setting), Is.EquivalentTo(new[] { "StepTimeout", "Steps[0].Timeout", "Load[0].MaxDuration" }));
    }

    [Test]
    public void Build_DurationsBeyondWhatTimersTake_ReportedWithTheLimit()
    {
        var builder = Scenario.Create("forever")
            .Step("a", Noop, timeout: TimeSpan.MaxValue)
            .ThinkTime(TimeSpan.Zero, TimeSpan.FromDays(60))
            .WithLoad(Load.ConstantUsers(1, TimeSpan.FromDays(30)))
            .WithGracefulStop(TimeSpan.FromDays(25));

        var exception = Assert.Throws<ScenarioValidationException>(() => builder.Build());

        Assert.That(exception.Problems.Select(p => p.Setting), Is.EquivalentTo(new[] { "Steps[0].Timeout", "ThinkTime[0].Max", "Load[0].During", "GracefulStop" }));
        Assert.That(exception.Message, Does.Contain("Load[0].During = 43200 min: must be at most 34560 min"));
    }

    [Test]
    public void Build_NullArguments_ReportedInsteadOfThrownEarly()
    {
        var builder = Scenario.Create("nulls")
            .Step("a", (Func<StepContext, ValueTask>)null!)
            .WithInit(null!)
            .ThinkTime((ThinkTime)null!)
            .WithLoad(Load.ConstantUsers(1, TimeSpan.FromSeconds(1)), null!);

        var exception = Assert.Throws<ScenarioValidationException>(() => builder.Build());

        Assert.That(exception.Problems.Select(p => p.Setting), Is.EquivalentTo(new[] { "Steps[0].Action", "Init", "ThinkTime[0]", "Load[1]" }));
    }

    [Test]
    public void Build_NegativeAndAdjacentThinkTimes_Reported()
    {
        var builder = Scenario.Create("pauses")
            .Step("a", Noop)
            .ThinkTime(TimeSpan.FromMilliseconds(-5))
            .ThinkTime(TimeSpan.FromSeconds(1))
            .WithLoad(Load.ConstantUsers(1, TimeSpan.FromSeconds(1)));

        var exception = Assert.Throws<ScenarioValidationException>(() => builder.Build());

        Assert.That(exception.Problems.Select(p => p.Setting), Is.EquivalentTo(new[] { "ThinkTime[0].Min", "ThinkTime[1]" }));
        Assert.That(exception.Message, Does.Contain("combine the two"));
    }

    [Test]
    public void Build_CalledTwice_Throws()
    {
        var builder = Scenario.Create("once").Step("a", Noop).WithLoad(Load.IterationsPerUser(1, 1));
        builder.Build();

        var exception = Assert.Throws<InvalidOperationException>(() => builder.Build());
        Assert.That(exception.Message, Does.Contain("builds once"));
        Assert.Throws<InvalidOperationException>(() => builder.Step("b", Noop));
    }
}
