namespace LoadKit.Worker.Tests.Distributed;

/// <summary>
/// Iteration-counted scenario factories for the take-over tests: 3,000 iterations by 30 VUs, each VU paced at one
/// iteration every 60 ms, so the load lasts about 6 s (500 a second) and a worker can be lost in the middle.
/// </summary>
public static class IterationScenarios
{
    public const int Iterations = 3000;

    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });

    /// <summary>3,000 iterations shared by 30 VUs.</summary>
    public static Scenario Shared3000() => Paced("shared", Load.SharedIterations(30, Iterations, maxDuration: TimeSpan.FromSeconds(60)));

    /// <summary>100 iterations for each of 30 VUs.</summary>
    public static Scenario PerUser3000() => Paced("per user", Load.IterationsPerUser(30, Iterations / 30, maxDuration: TimeSpan.FromSeconds(60)));

    private static Scenario Paced(string name, LoadPhase load) => Scenario.Create(name)
        .Step("get", async ctx =>
        {
            using var response = await Http.GetAsync(Target() + "/fast", ctx.CancellationToken);
            response.EnsureSuccessStatusCode();
        })
        .WithPacing(TimeSpan.FromMilliseconds(60))
        .WithLoad(load)
        .Build();

    private static string Target() =>
        Environment.GetEnvironmentVariable(DistributedScenarios.TargetVariable)?.TrimEnd('/')
        ?? throw new InvalidOperationException($"{DistributedScenarios.TargetVariable} is not set.");
}
