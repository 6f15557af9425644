using FluentAssertions;
using LoadKit;
using LoadKit.Testing;
using NUnit.Framework;

namespace LoadKit.LoadTests;

/// <summary>Load tests: the same scenario written in C#, and read from plan.yaml. dotnet test runs both.</summary>
public class LoadTests
{
    /// <summary>The address of the service under test: LOADKIT_HTTP_BASE_ADDRESS, or the plan's.</summary>
    private static Uri Service => new(Environment.GetEnvironmentVariable(HttpSettings.BaseAddressVariable) is { Length: > 0 } address ? address : "http://127.0.0.1:5000");

    /// <summary>A scenario factory: workers call it in this assembly to build the same scenario in a distributed run.</summary>
    public static Scenario Browse() =>
        Scenario.Create("browse-csharp")
            .WithHttp(new HttpSettings { BaseAddress = Service })
            .Step("home", Http.Get("/"))
            .ThinkTime(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3))
            .Step("search", Http.Get("/search").WithQuery("q", "shoes").Check(HttpCheck.StatusIsOneOf(200, 404)))
            .WithLoad(Load.RampUsers(to: 10, during: TimeSpan.FromSeconds(30)), Load.ConstantUsers(10, during: TimeSpan.FromMinutes(1)))
            .WithSmokeLoad(Load.IterationsPerUser(1, 2))
            .Build();

    /// <summary>The plan's scenario, by a factory too, so it can run on workers as well.</summary>
    public static Scenario BrowsePlan() => PlanFile.Load("plan.yaml").GetScenario("browse");

    [Test]
    public async Task Browse_meets_its_SLO()
    {
        LoadResult result = await LoadTest.RunAsync(Browse);

        result.Should().HaveStep("search").WithPercentile(95).Below(TimeSpan.FromMilliseconds(500));
        result.Should().HaveFailureRateBelow(0.01);
    }

    [Test]
    public async Task Browse_plan_meets_its_thresholds()
    {
        LoadResult result = await LoadTest.RunAsync(BrowsePlan);

        result.Should().HaveFailureRateBelow(0.01);
        result.Thresholds.Should().OnlyContain(t => t.Passed);
    }
}
