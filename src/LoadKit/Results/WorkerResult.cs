namespace LoadKit;

/// <summary>What one worker process did in a distributed run. Immutable.</summary>
/// <param name="Id">The worker's id, as registered in etcd.</param>
/// <param name="Address">Where its gRPC service listened.</param>
/// <param name="Segment">The part of the load it owned, e.g. <c>(1/3, 2/3]</c>, plus any part of a lost worker it took over.</param>
/// <param name="ClockOffset">Its wall clock minus the controller's, as estimated before the start.</param>
/// <param name="StartedAt">When its load started, in the controller's clock; null when it never started.</param>
/// <param name="Lost">Why the worker was lost during the run (its stream broke, its call failed); null when it finished.</param>
/// <param name="MissingSeconds">Seconds of the run of which no snapshot arrived from this worker: gaps in its part of the statistics.</param>
/// <param name="Result">Its own statistics: everything it reported (up to its last snapshot when it was lost).</param>
public sealed record WorkerResult(
    string Id,
    string Address,
    string Segment,
    TimeSpan ClockOffset,
    DateTimeOffset? StartedAt,
    string? Lost,
    IReadOnlyList<int> MissingSeconds,
    LoadResult Result)
{
    /// <summary>
    /// When its first call (step or pre-work) began, in the controller's clock: close to when its first request left
    /// it. Null when it made none (no VU in its segment, or it never started).
    /// </summary>
    public DateTimeOffset? FirstCallAt { get; init; }
}
