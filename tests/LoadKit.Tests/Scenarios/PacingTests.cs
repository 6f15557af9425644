namespace LoadKit.Tests.Scenarios;

public class PacingTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [TestCase(10)]
    [TestCase(200)]
    public void Next_Normal_HasItsMeanAndDeviationWithinItsClamp(int deviationMs)
    {
        var thinkTime = ThinkTime.Normal(TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(deviationMs));
        var random = new Random(1);

        var samples = Enumerable.Range(0, 100_000).Select(_ => thinkTime.Next(random).TotalMilliseconds).ToArray();

        var mean = samples.Average();
        var deviation = Math.Sqrt(samples.Average(x => (x - mean) * (x - mean)));
        Assert.That(mean, Is.EqualTo(500).Within(1).Percent);
        Assert.That(deviation, Is.EqualTo(deviationMs).Within(deviationMs == 200 ? 15 : 3).Percent, "clamping at 0 narrows a wide one");
        Assert.That(samples.Min(), Is.GreaterThanOrEqualTo(thinkTime.Min.TotalMilliseconds));
        Assert.That(samples.Max(), Is.LessThanOrEqualTo(thinkTime.Max.TotalMilliseconds));
    }

    [Test]
    public void Next_Exponential_HasItsMeanAndStaysUnderItsCap()
    {
        var thinkTime = ThinkTime.Exponential(TimeSpan.FromMilliseconds(100));
        var random = new Random(2);

        var samples = Enumerable.Range(0, 100_000).Select(_ => thinkTime.Next(random).TotalMilliseconds).ToArray();

        Assert.That(samples.Average(), Is.EqualTo(100).Within(2).Percent);
        Assert.That(samples.Max(), Is.LessThanOrEqualTo(1000));
        Assert.That(samples.Count(x => x < 100) / 100_000.0, Is.EqualTo(1 - Math.Exp(-1)).Within(0.01), "P(X < mean) = 1 - 1/e");
    }

    [Test]
    public void Build_BadThinkTimeDistributions_Reported()
    {
        var builder = Scenario.Create("pauses")
            .Step("a", _ => ValueTask.CompletedTask)
            .ThinkTime(ThinkTime.Normal(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(-1)))
            .Step("b", _ => ValueTask.CompletedTask)
            .ThinkTime(ThinkTime.Exponential(TimeSpan.Zero))
            .WithLoad(Load.IterationsPerUser(1, 1));

        var exception = Assert.Throws<ScenarioValidationException>(() => builder.Build());

        Assert.That(exception.Problems.Select(p => p.Setting), Is.SupersetOf(new[] { "ThinkTime[0].Deviation", "ThinkTime[1].Mean" }));
    }

    [Test]
    public async Task RunAsync_Pacing_StartsIterationsEveryIntervalAndNoneLate()
    {
        var scenario = Scenario.Create("paced")
            .Step("quick", async ctx => await Task.Delay(10, ctx.CancellationToken))
            .WithPacing(TimeSpan.FromMilliseconds(100))
            .WithLoad(Load.ConstantUsers(2, TimeSpan.FromSeconds(1)))
            .Build();

        var result = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetScenario("paced");

        Assert.That(result.Iterations.Ok, Is.InRange(2 * 9, 2 * 11));
        Assert.That(result.Late, Is.Zero);
        Assert.That(result.SchedulingLag.Count, Is.EqualTo(result.Iterations.Ok - 2), "every iteration but each VU's first has a slot");
    }

    [Test]
    public async Task RunAsync_PacingShorterThanTheIteration_CountsLateIterationsAndTheirLag()
    {
        var scenario = Scenario.Create("overrun")
            .Step("slow", async ctx => await Task.Delay(80, ctx.CancellationToken))
            .WithPacing(TimeSpan.FromMilliseconds(40))
            .WithLoad(Load.IterationsPerUser(2, 6))
            .Build();

        var result = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetScenario("overrun");

        Assert.That(result.Late, Is.EqualTo(2 * 5));
        Assert.That(result.Timeline.Sum(p => p.Late), Is.EqualTo(10));
        Assert.That(result.SchedulingLag.P50, Is.GreaterThan(TimeSpan.FromMilliseconds(30)));
        Assert.That(result.GetStep("slow").ScheduledLatency.P50, Is.GreaterThan(result.GetStep("slow").Latency.P50));
    }

    [Test]
    public void Build_PacingWithAnArrivalRate_IsAProblem()
    {
        var builder = Scenario.Create("both")
            .Step("a", _ => ValueTask.CompletedTask)
            .WithPacing(TimeSpan.FromSeconds(1))
            .WithLoad(Load.ConstantUsers(1, TimeSpan.FromSeconds(1)), Load.ArrivalRate(5, TimeSpan.FromSeconds(1), 1, 1));

        var exception = Assert.Throws<ScenarioValidationException>(() => builder.Build());

        Assert.That(exception.Message, Does.Contain("Pacing = 1 s: pacing applies to closed-model phases only; Load[1] set an arrival rate"));
    }
}
