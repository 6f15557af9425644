using System.Collections.Concurrent;

namespace LoadKit.Tests.Scenarios;

public class TaskMixTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Test]
    public async Task RunAsync_WeightedTasks_PicksThemInProportionAndReportsEach()
    {
        var scenario = Scenario.Create("shop")
            .WithTask("browse", 3, task => task.Step("list", _ => ValueTask.CompletedTask).Step("item", _ => ValueTask.CompletedTask))
            .WithTask("buy", 1, task => task.Step("pay", _ => ValueTask.CompletedTask))
            .WithTask("never", 0, task => task.Step("unused", _ => ValueTask.CompletedTask))
            .WithLoad(Load.IterationsPerUser(4, 500))
            .Build();

        var result = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetScenario("shop");

        var tasks = result.Tasks.ToDictionary(t => t.Name, t => t.Ok);
        Assert.That(tasks.Keys, Is.EqualTo(new[] { "browse", "buy", "never" }));
        Assert.That(tasks.Values.Sum(), Is.EqualTo(2000));
        Assert.That(tasks["buy"] / 2000.0, Is.InRange(0.2, 0.3), "weight 1 of 4; 5 standard deviations either side");
        Assert.That(tasks["never"], Is.Zero);
        Assert.That(result.GetStep("list").Ok, Is.EqualTo(tasks["browse"]));
        Assert.That(result.GetStep("item").Ok, Is.EqualTo(tasks["browse"]));
        Assert.That(result.GetStep("pay").Ok, Is.EqualTo(tasks["buy"]));
    }

    [Test]
    public async Task RunAsync_TaskWithPreWork_RunsItOncePerUserAndKeepsWhatItStored()
    {
        var logins = new ConcurrentBag<int>();
        var tokens = new ConcurrentDictionary<int, ConcurrentBag<string>>();
        var scenario = Scenario.Create("login first")
            .WithTask("browse", 1, task => task.Step("list", _ => ValueTask.CompletedTask))
            .WithTask("buy", 1, task => task
                .WithPreWork((session, _) =>
                {
                    logins.Add(session.UserIndex);
                    session.Set("token", Guid.NewGuid().ToString());
                    return ValueTask.CompletedTask;
                })
                .Step("pay", ctx =>
                {
                    tokens.GetOrAdd(ctx.UserIndex, _ => []).Add(ctx.Session.Get<string>("token"));
                    return ValueTask.CompletedTask;
                }))
            .WithLoad(Load.IterationsPerUser(3, 40))
            .Build();

        var result = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetScenario("login first");

        Assert.That(logins, Is.EquivalentTo(tokens.Keys), "one login per VU that picked 'buy'");
        Assert.That(tokens.Values.Select(t => t.Distinct().Count()), Is.All.EqualTo(1), "the token stays in the session");
        Assert.That(result.PreWork.Single().Name, Is.EqualTo("buy"));
        Assert.That(result.PreWork.Single().Ok, Is.EqualTo(logins.Count));
    }

    [Test]
    public async Task RunAsync_PreWorkFails_ThatIterationFailsAndTheNextPickTriesAgain()
    {
        var attempts = 0;
        var scenario = Scenario.Create("flaky login")
            .WithTask("buy", 1, task => task
                .WithPreWork((_, _) => Interlocked.Increment(ref attempts) <= 3 ? throw new InvalidOperationException("login refused") : ValueTask.CompletedTask)
                .Step("pay", _ => ValueTask.CompletedTask))
            .WithLoad(Load.IterationsPerUser(1, 10))
            .Build();

        var result = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetScenario("flaky login");

        var preWork = result.PreWork.Single();
        Assert.That((preWork.Ok, preWork.Failed), Is.EqualTo((1L, 3L)));
        Assert.That(preWork.Errors.Single(), Is.EqualTo(new ErrorCount("InvalidOperationException: login refused", 3)));
        Assert.That((result.Iterations.Ok, result.Iterations.Failed), Is.EqualTo((7L, 3L)));
        Assert.That(result.GetStep("pay").Ok, Is.EqualTo(7));
    }

    [Test]
    public void Build_BadTasks_ListsEveryProblem()
    {
        var builder = Scenario.Create("bad mix")
            .Step("outside", _ => ValueTask.CompletedTask)
            .WithTask("a", 0, task => task.Step("x", _ => ValueTask.CompletedTask))
            .WithTask("a", -1, task => task.Step("x", _ => ValueTask.CompletedTask))
            .WithTask("empty", 0, _ => { })
            .WithLoad(Load.IterationsPerUser(1, 1));

        var exception = Assert.Throws<ScenarioValidationException>(() => builder.Build());

        Assert.That(exception.Problems.Select(p => p.ToString()), Is.EquivalentTo(new[]
        {
            "Steps = 1 outside a task: a scenario with tasks has its steps in tasks; move them into a WithTask",
            "Tasks[1].Name = 'a': a non-empty name not used by another task",
            "Tasks[1].Weight = -1: a finite number, 0 or more",
            "Tasks[1].Steps[0].Name = 'x': a name not used by another step of this scenario",
            "Tasks[2].Steps = none: at least one step; add one with Step(name, action)",
            "Tasks.Weight = 0, -1, 0: at least one task with a weight above 0",
        }));
    }
}
