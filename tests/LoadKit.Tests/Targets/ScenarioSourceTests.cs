using LoadKit.Targets;

namespace LoadKit.Tests.Targets;

/// <summary>How a run target learns where a plan's scenarios come from, and how another process builds them.</summary>
public class ScenarioSourceTests
{
    public static Scenario Checkout() => Scenario.Create("checkout").Step("pay", _ => ValueTask.CompletedTask).WithLoad(Load.ConstantUsers(1, TimeSpan.FromSeconds(1))).Build();

    public static Scenario Broken() => throw new InvalidOperationException("no catalogue");

    [Test]
    public void Of_PlanFromStaticFactories_NamesTheAssemblyAndEachFactory()
    {
        var source = ScenarioSource.Of(RunOptions.Default.Plan([Checkout]));

        Assert.That(source!.AssemblyPath, Is.EqualTo(typeof(ScenarioSourceTests).Assembly.Location));
        Assert.That(source.Factories, Is.EqualTo(new[] { new ScenarioFactoryName(typeof(ScenarioSourceTests).FullName!, nameof(Checkout)) }));
        Assert.That(source.Environment, Is.Empty);
    }

    [Test]
    public void Of_PlanFromObjectsOrLambdas_IsNullOrNamesTheProblem()
    {
        Assert.That(ScenarioSource.Of(RunOptions.Default.Plan([Checkout()])), Is.Null, "objects can only run in this process");
        Assert.That(() => ScenarioSource.Of(RunOptions.Default.Plan([() => Checkout()])),
            Throws.ArgumentException.With.Message.Contain("a static method without parameters"));
    }

    [Test]
    public void Build_TheFactoryInTheAssembly_CallsIt()
    {
        var assembly = typeof(ScenarioSourceTests).Assembly;

        var scenario = new ScenarioFactoryName(typeof(ScenarioSourceTests).FullName!, nameof(Checkout)).Build(assembly);

        Assert.That(scenario.Name, Is.EqualTo("checkout"));
        Assert.That(() => new ScenarioFactoryName(typeof(ScenarioSourceTests).FullName!, nameof(Broken)).Build(assembly),
            Throws.ArgumentException.With.Message.EqualTo($"scenario factory = {typeof(ScenarioSourceTests).FullName}.Broken: threw InvalidOperationException: no catalogue"));
        Assert.That(() => new ScenarioFactoryName("Shop.Nowhere", "Checkout").Build(assembly),
            Throws.ArgumentException.With.Message.Contain("'Shop.Nowhere'"));
    }
}
