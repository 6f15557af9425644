using LoadKit;
using NUnit.Framework;

namespace Shop.LoadTests;

/// <summary>Scenario factories as a team writes them beside its tests; the target comes from the environment.</summary>
public static class ShopLoad
{
    /// <summary>The variable that names the target, e.g. http://127.0.0.1:5000/.</summary>
    public const string TargetVariable = "SHOP_URL";

    /// <summary>20 iterations shared by 2 VUs, each a GET of /use/factory.</summary>
    public static Scenario Browse() => Scenario.Create("browse")
        .WithHttp(new HttpSettings { BaseAddress = Target() })
        .Step("use", Http.Get("/use/factory"))
        .WithLoad(Load.SharedIterations(users: 2, iterations: 20))
        .WithThresholds(Threshold.AllSteps.FailureRate.Below(0.01))
        .Build();

    /// <summary>A second scenario, which a run that names Browse leaves out.</summary>
    public static Scenario Checkout() => Scenario.Create("checkout")
        .WithHttp(new HttpSettings { BaseAddress = Target() })
        .Step("use", Http.Get("/use/checkout"))
        .WithLoad(Load.SharedIterations(users: 1, iterations: 5))
        .Build();

    private static Uri Target() =>
        new(Environment.GetEnvironmentVariable(TargetVariable) ?? throw new InvalidOperationException($"{TargetVariable} is not set."));
}

/// <summary>The team's test, which `dotnet test` runs; `loadkit run` runs the factories instead.</summary>
public class ShopLoadTests
{
    [Test]
    public void Browse_IsBuilt() => Assert.That(Environment.GetEnvironmentVariable(ShopLoad.TargetVariable) is null || ShopLoad.Browse().Name == "browse", Is.True);
}
