namespace LoadKit;

/// <summary>The load shapes a scenario can run, as typed factories. Values are checked by <see cref="ScenarioBuilder.Build"/>.</summary>
public static class Load
{
    /// <summary>The default bound on a phase that is counted in iterations: 10 minutes, as in k6.</summary>
    public static readonly TimeSpan DefaultMaxDuration = TimeSpan.FromMinutes(10);

    /// <summary>Closed model: <paramref name="users"/> VUs each loop over the scenario for <paramref name="during"/>.</summary>
    /// <param name="users">The number of VUs, 1 or more.</param>
    /// <param name="during">How long the VUs keep starting iterations; longer than 0.</param>
    public static LoadPhase ConstantUsers(int users, TimeSpan during) => new ConstantUsersPhase(users, during);

    /// <summary>
    /// Closed model: <paramref name="users"/> VUs each run exactly <paramref name="iterations"/> iterations,
    /// or stop at <paramref name="maxDuration"/> (default <see cref="DefaultMaxDuration"/>) if that comes first.
    /// </summary>
    public static LoadPhase IterationsPerUser(int users, int iterations, TimeSpan? maxDuration = null) =>
        new IterationsPerUserPhase(users, iterations, maxDuration ?? DefaultMaxDuration);
}
