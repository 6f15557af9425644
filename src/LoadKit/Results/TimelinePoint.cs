namespace LoadKit;

/// <summary>What one step did during one second of the run.</summary>
/// <param name="Second">The second since the scenario started, from 0 (the last point may cover less than a second).</param>
/// <param name="Ok">Calls that succeeded in this second.</param>
/// <param name="Failed">Calls that failed in this second.</param>
/// <param name="TimedOut">Calls that timed out in this second.</param>
/// <param name="Latency">Latency of the calls that succeeded in this second.</param>
public sealed record TimelinePoint(int Second, long Ok, long Failed, long TimedOut, LatencyDistribution Latency);
