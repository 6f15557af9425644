namespace LoadKit;

/// <summary>What a scenario's VUs did during one second of the run.</summary>
/// <param name="Second">The second since the scenario started, from 0.</param>
/// <param name="ActiveUsers">VUs running at the end of the second (for open models: VUs busy with an iteration).</param>
/// <param name="Dropped">Iterations an open model could not start in this second because no VU was free.</param>
/// <param name="Late">Iterations that started after their pacing slot in this second.</param>
public sealed record ScenarioTimelinePoint(int Second, int ActiveUsers, long Dropped, long Late);
