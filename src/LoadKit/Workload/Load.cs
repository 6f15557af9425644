using LoadKit.Workload;

namespace LoadKit;

/// <summary>
/// The load shapes a scenario can run, as typed factories: closed models (a number of VUs) and open models
/// (iterations started at a rate). Values are checked by <see cref="ScenarioBuilder.Build"/>.
/// </summary>
public static class Load
{
    /// <summary>The default bound on a phase that is counted in iterations: 10 minutes, as in k6.</summary>
    public static readonly TimeSpan DefaultMaxDuration = TimeSpan.FromMinutes(10);

    /// <summary>Closed model: <paramref name="users"/> VUs each loop over the scenario for <paramref name="during"/>.</summary>
    /// <param name="users">The number of VUs, 1 or more.</param>
    /// <param name="during">How long the VUs keep starting iterations; longer than 0.</param>
    public static LoadPhase ConstantUsers(int users, TimeSpan during) => new UsersPhase(users, users, during);

    /// <summary>
    /// Closed model: the number of VUs goes linearly from the previous phase's level (0 at the start) to
    /// <paramref name="to"/> over <paramref name="during"/>; down to 0 is allowed. VUs leaving on the way down
    /// finish their iteration first, bounded by the graceful stop.
    /// </summary>
    public static LoadPhase RampUsers(int to, TimeSpan during) => new UsersPhase(null, to, during);

    /// <summary>Closed model: the number of VUs goes linearly from <paramref name="from"/> to <paramref name="to"/> over <paramref name="during"/>.</summary>
    public static LoadPhase RampUsers(int from, int to, TimeSpan during) => new UsersPhase(from, to, during);

    /// <summary>
    /// Closed model: <paramref name="users"/> VUs each run exactly <paramref name="iterations"/> iterations,
    /// or stop at <paramref name="maxDuration"/> (default <see cref="DefaultMaxDuration"/>) if that comes first.
    /// </summary>
    public static LoadPhase IterationsPerUser(int users, int iterations, TimeSpan? maxDuration = null) =>
        new IterationsPhase(users, iterations, shared: false, maxDuration ?? DefaultMaxDuration);

    /// <summary>
    /// Closed model: <paramref name="users"/> VUs run <paramref name="iterations"/> iterations in all, each taking
    /// the next as soon as it is free, or stop at <paramref name="maxDuration"/> (default <see cref="DefaultMaxDuration"/>).
    /// </summary>
    public static LoadPhase SharedIterations(int users, int iterations, TimeSpan? maxDuration = null) =>
        new IterationsPhase(users, iterations, shared: true, maxDuration ?? DefaultMaxDuration);

    /// <summary>
    /// Open model: <paramref name="rate"/> iterations start per <paramref name="per"/> (default one second) for
    /// <paramref name="during"/>, whatever the response times. VUs come from a pool of
    /// <paramref name="preAllocatedUsers"/> that grows up to <paramref name="maxUsers"/>; an iteration that finds
    /// no free VU at its time is counted as dropped, never queued. Rates below 1/s work: use <paramref name="per"/>
    /// (e.g. 30 per <c>TimeSpan.FromMinutes(1)</c>).
    /// </summary>
    public static LoadPhase ArrivalRate(double rate, TimeSpan during, int preAllocatedUsers, int maxUsers, TimeSpan? per = null) =>
        new ArrivalRatePhase(rate, rate, per ?? TimeSpan.FromSeconds(1), during, preAllocatedUsers, maxUsers);

    /// <summary>
    /// Open model: the arrival rate goes linearly from the previous phase's rate (0 at the start) to
    /// <paramref name="to"/> per <paramref name="per"/> over <paramref name="during"/>. See <see cref="ArrivalRate"/>.
    /// </summary>
    public static LoadPhase RampArrivalRate(double to, TimeSpan during, int preAllocatedUsers, int maxUsers, TimeSpan? per = null) =>
        new ArrivalRatePhase(null, to, per ?? TimeSpan.FromSeconds(1), during, preAllocatedUsers, maxUsers);

    /// <summary>Open model: the arrival rate goes linearly from <paramref name="from"/> to <paramref name="to"/> per <paramref name="per"/>.</summary>
    public static LoadPhase RampArrivalRate(double from, double to, TimeSpan during, int preAllocatedUsers, int maxUsers, TimeSpan? per = null) =>
        new ArrivalRatePhase(from, to, per ?? TimeSpan.FromSeconds(1), during, preAllocatedUsers, maxUsers);
}
