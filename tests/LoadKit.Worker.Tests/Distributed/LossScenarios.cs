namespace LoadKit.Worker.Tests.Distributed;

/// <summary>
/// Scenario factories for the tests of repeated losses: an iteration-counted block and an arrival rate, light enough
/// for 4 workers on 2 cores and long enough to lose workers one after the other in the middle.
/// </summary>
public static class LossScenarios
{
    /// <summary>Iterations of <see cref="Counted"/>: 30 VUs, one iteration every 100 ms each (300 a second), about 8 s.</summary>
    public const int CountedIterations = 2400;

    /// <summary>Arrivals a second of <see cref="Rate"/>, for <see cref="RateSeconds"/> seconds.</summary>
    public const int RatePerSecond = 200;

    public const int RateSeconds = 8;

    /// <summary>Iterations of <see cref="SlowCounted"/>: 20 VUs, one iteration every 100 ms each (200 a second), about 10 s.</summary>
    public const int SlowCountedIterations = 2000;

    /// <summary>Iterations of <see cref="ShortCounted"/>: 10 VUs, one iteration every 100 ms each (100 a second), about 4 s.</summary>
    public const int ShortCountedIterations = 400;

    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });

    public static Scenario Counted() => Scenario.Create("counted")
        .Step("count", Get)
        .WithPacing(TimeSpan.FromMilliseconds(100))
        .WithLoad(Load.SharedIterations(30, CountedIterations, maxDuration: TimeSpan.FromSeconds(60)))
        .Build();

    public static Scenario Rate() => Scenario.Create("rate")
        .Step("arrive", Get)
        .WithLoad(Load.ArrivalRate(RatePerSecond, TimeSpan.FromSeconds(RateSeconds), preAllocatedUsers: 20, maxUsers: 200))
        .Build();

    /// <summary>Long enough for a frozen worker to be found lost (about 5 s) while the block still runs.</summary>
    public static Scenario SlowCounted() => Scenario.Create("slow counted")
        .Step("count", Get)
        .WithPacing(TimeSpan.FromMilliseconds(100))
        .WithLoad(Load.SharedIterations(20, SlowCountedIterations, maxDuration: TimeSpan.FromSeconds(60)))
        .Build();

    public static Scenario ShortCounted() => Scenario.Create("short counted")
        .Step("count", Get)
        .WithPacing(TimeSpan.FromMilliseconds(100))
        .WithLoad(Load.SharedIterations(10, ShortCountedIterations, maxDuration: TimeSpan.FromSeconds(60)))
        .Build();

    private static async ValueTask Get(StepContext ctx)
    {
        var target = Environment.GetEnvironmentVariable(DistributedScenarios.TargetVariable)?.TrimEnd('/')
            ?? throw new InvalidOperationException($"{DistributedScenarios.TargetVariable} is not set.");
        using var response = await Http.GetAsync(target + "/fast", ctx.CancellationToken);
        response.EnsureSuccessStatusCode();
    }
}
