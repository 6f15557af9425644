using LoadKit.Results;

namespace LoadKit.Targets;

/// <summary>
/// Running totals and per-second points built from incremental snapshots (<see cref="ShareSnapshot.Result"/>: what
/// a share measured since its previous snapshot). Adding a snapshot costs in proportion to the snapshot, not to the
/// length of the run: totals add (counts add, histograms merge) and each timeline point goes into its second. The
/// totals of one process's snapshots (<see cref="ToResult"/>) are exactly that process's result; the totals of every
/// process's snapshots give a run's live figures (<see cref="Current"/>). Not thread-safe: one writer, readers under
/// the same lock.
/// </summary>
/// <remarks>
/// A snapshot that never arrives loses its counts and points (a gap in the timeline where its seconds were); later
/// snapshots still add up, since each carries only its own interval.
/// </remarks>
public sealed class ShareTotals
{
    private readonly List<ScenarioTotals> _scenarios = [];
    private readonly int? _recentSeconds;
    private readonly Dictionary<string, (int Cores, SortedDictionary<int, HealthSample> Samples)> _health = new(StringComparer.Ordinal);
    private DateTimeOffset _startedAt;
    private DateTimeOffset _endedAt;
    private bool _cancelled;
    private IReadOnlyList<string> _notes = [];

    /// <summary>Totals that keep every second's points (<see cref="ToResult"/> gives whole timelines).</summary>
    public ShareTotals()
    {
    }

    /// <summary>
    /// Totals for live figures only: of the per-second points they keep the first seconds and the last
    /// <paramref name="recentSeconds"/> before the latest one, so that their memory does not grow with the run.
    /// <see cref="Current"/> reads them; <see cref="ToResult"/> refuses.
    /// </summary>
    /// <param name="recentSeconds">How many seconds before the latest to keep; at least 1.</param>
    public ShareTotals(int recentSeconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(recentSeconds, 1);
        _recentSeconds = recentSeconds;
    }

    /// <summary>Whether any snapshot was added.</summary>
    public bool Any { get; private set; }

    /// <summary>The latest second of any timeline point added; -1 before the first.</summary>
    public int LastSecond { get; private set; } = -1;

    /// <summary>
    /// Adds a snapshot: what a share measured since its previous one. Its users, abandoned users, start, duration and
    /// notes replace those of the earlier snapshots of the same <paramref name="source"/>; the users of different
    /// sources add up (the totals of several processes).
    /// </summary>
    /// <param name="interval">The snapshot's statistics.</param>
    /// <param name="source">Which process sent it: 0 when all snapshots come from one.</param>
    public void Add(LoadResult interval, int source = 0)
    {
        ArgumentNullException.ThrowIfNull(interval);
        if (!Any || interval.StartedAt < _startedAt)
        {
            _startedAt = interval.StartedAt;
        }

        _endedAt = !Any || interval.EndedAt > _endedAt ? interval.EndedAt : _endedAt;
        _cancelled = interval.Cancelled;
        _notes = interval.Notes;
        Any = true;
        foreach (var scenario in interval.Scenarios)
        {
            var totals = _scenarios.Find(s => s.Name == scenario.Name);
            if (totals is null)
            {
                totals = new ScenarioTotals(scenario.Name);
                _scenarios.Add(totals);
            }

            totals.Add(scenario, source);
            LastSecond = Math.Max(LastSecond, totals.LastSecond);
            if (_recentSeconds is { } recent)
            {
                totals.Forget(LastSecond - recent);
            }
        }

        foreach (var generator in interval.Generators)
        {
            if (!_health.TryGetValue(generator.Process, out var health))
            {
                health = (generator.Cores, new SortedDictionary<int, HealthSample>());
            }

            foreach (var sample in generator.Samples)
            {
                health.Samples[sample.Second] = sample; // a second sent twice counts once
            }

            _health[generator.Process] = (generator.Cores, health.Samples);
        }
    }

    /// <summary>Everything added, as one result with whole timelines (in proportion to the run's length: call it at the end).</summary>
    /// <exception cref="InvalidOperationException">These totals keep only recent seconds (made with a number of them).</exception>
    public LoadResult ToResult() => _recentSeconds is { } recent
        ? throw new InvalidOperationException($"These totals keep only their last {recent} seconds (recentSeconds = {recent}), for live figures: a whole result would miss the others.")
        : new(_startedAt, _endedAt, _cancelled, [.. _scenarios.Select(s => s.ToResult(null))])
    {
        Notes = _notes,
        Generators = [.. _health.Select(h => new GeneratorHealth(h.Key, h.Value.Cores, [.. h.Value.Samples.Values]))],
    };

    /// <summary>
    /// The totals so far, each timeline holding only its first seconds (what shows a step failing from its start) and
    /// the point of <paramref name="second"/>: a run's live figures, at a cost that does not grow with the run.
    /// </summary>
    /// <param name="second">The second to show: the latest one every live process has sent.</param>
    public IReadOnlyList<ScenarioResult> Current(int second) => [.. _scenarios.Select(s => s.ToResult(second))];

    /// <summary>One scenario's totals (without timelines), its points by second, and the latest users of each source.</summary>
    private sealed class ScenarioTotals(string name)
    {
        private readonly Dictionary<string, Seconds<TimelinePoint>> _stepPoints = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Seconds<ScenarioTimelinePoint>> _points = new(StringComparer.Ordinal);
        private readonly Dictionary<int, (int Users, int Abandoned)> _users = [];
        private ScenarioResult? _total;

        public string Name { get; } = name;

        public int LastSecond { get; private set; } = -1;

        public void Add(ScenarioResult interval, int source)
        {
            _users[source] = (interval.Users, interval.AbandonedUsers);
            var peak = AddPoints(interval, "");
            _total = _total is null ? ResultDelta.WithoutTimelines(interval) : ResultDelta.Add(_total, interval);
            _total = _total with
            {
                Users = _users.Values.Sum(u => u.Users),
                AbandonedUsers = _users.Values.Sum(u => u.Abandoned),
                PeakUsers = Math.Max(_total.PeakUsers, peak),
            };
        }

        /// <summary>Drops the points of seconds before <paramref name="second"/>, except the first seconds.</summary>
        public void Forget(int second)
        {
            foreach (var table in _points.Values)
            {
                table.Forget(second);
            }

            foreach (var table in _stepPoints.Values)
            {
                table.Forget(second);
            }
        }

        /// <summary>The totals with their timelines: all points, or (<paramref name="second"/>) the first seconds and that second's.</summary>
        public ScenarioResult ToResult(int? second) => WithTimelines(_total!, "", second);

        /// <summary>Adds every timeline point of <paramref name="interval"/> into its second; returns the highest active users of a second it changed.</summary>
        private int AddPoints(ScenarioResult interval, string prefix)
        {
            var peak = 0;
            var scenario = Table(_points, prefix);
            foreach (var point in interval.Timeline)
            {
                var sum = scenario.BySecond.TryGetValue(point.Second, out var earlier)
                    ? new ScenarioTimelinePoint(point.Second, earlier.ActiveUsers + point.ActiveUsers, earlier.Dropped + point.Dropped, earlier.Late + point.Late)
                    : point;
                scenario.Set(point.Second, sum);
                peak = Math.Max(peak, sum.ActiveUsers);
                LastSecond = Math.Max(LastSecond, point.Second);
            }

            foreach (var (key, stats) in Keyed(interval, prefix))
            {
                var table = Table(_stepPoints, key);
                foreach (var point in stats.Timeline)
                {
                    table.Set(point.Second, table.BySecond.TryGetValue(point.Second, out var earlier) ? StepStats.MergeTimeline([earlier, point])[0] : point);
                    LastSecond = Math.Max(LastSecond, point.Second);
                }
            }

            if (interval.WarmUp is { } warmUp)
            {
                AddPoints(warmUp, prefix + "warm-up/");
            }

            return peak;
        }

        private ScenarioResult WithTimelines(ScenarioResult total, string prefix, int? second)
        {
            StepStats With(string key, StepStats stats) =>
                stats with { Timeline = _stepPoints.TryGetValue(key, out var table) ? table.ToArray(second) : [] };
            var keys = Keyed(total, prefix).Select(k => k.Key).ToArray();
            var at = 0;
            return total with
            {
                Timeline = _points.TryGetValue(prefix, out var points) ? points.ToArray(second) : [],
                Steps = [.. total.Steps.Select(s => With(keys[at++], s))],
                Iterations = With(keys[at++], total.Iterations),
                Init = total.Init is { } init ? With(keys[at++], init) : null,
                Cleanup = total.Cleanup is { } cleanup ? With(keys[at++], cleanup) : null,
                Tasks = [.. total.Tasks.Select(s => With(keys[at++], s))],
                PreWork = [.. total.PreWork.Select(s => With(keys[at++], s))],
                Measurements = [.. total.Measurements.Select(s => With(keys[at++], s))],
                WarmUp = total.WarmUp is { } warmUp ? WithTimelines(warmUp, prefix + "warm-up/", second) : null,
            };
        }

        /// <summary>Every statistics of a scenario (not its warm-up's) with a key that names it in any interval, in the order <see cref="WithTimelines"/> reads them.</summary>
        private static IEnumerable<(string Key, StepStats Stats)> Keyed(ScenarioResult scenario, string prefix)
        {
            for (var i = 0; i < scenario.Steps.Count; i++)
            {
                yield return ($"{prefix}step {i}", scenario.Steps[i]);
            }

            yield return (prefix + "iterations", scenario.Iterations);
            if (scenario.Init is { } init)
            {
                yield return (prefix + "init", init);
            }

            if (scenario.Cleanup is { } cleanup)
            {
                yield return (prefix + "cleanup", cleanup);
            }

            for (var i = 0; i < scenario.Tasks.Count; i++)
            {
                yield return ($"{prefix}task {i}", scenario.Tasks[i]);
            }

            for (var i = 0; i < scenario.PreWork.Count; i++)
            {
                yield return ($"{prefix}pre-work {i}", scenario.PreWork[i]);
            }

            foreach (var measurement in scenario.Measurements)
            {
                yield return ($"{prefix}measurement {measurement.Name}", measurement);
            }
        }

        private static Seconds<T> Table<T>(Dictionary<string, Seconds<T>> tables, string key)
        {
            if (!tables.TryGetValue(key, out var table))
            {
                table = new Seconds<T>();
                tables[key] = table;
            }

            return table;
        }
    }

    /// <summary>One timeline's points by second, and its first second.</summary>
    private sealed class Seconds<T>
    {
        private int _first = int.MaxValue;
        private int _forgottenTo = int.MinValue;

        public Dictionary<int, T> BySecond { get; } = [];

        public void Set(int second, T point)
        {
            if (second < _forgottenTo && second >= _first + RunFindings.FirstSeconds)
            {
                return; // a late point of a second already forgotten: live figures have moved on
            }

            BySecond[second] = point;
            _first = Math.Min(_first, second);
        }

        /// <summary>Drops the points of seconds before <paramref name="second"/>, except the first seconds.</summary>
        public void Forget(int second)
        {
            if (_first == int.MaxValue)
            {
                return; // no point yet: the first seconds are not known
            }

            for (var s = Math.Max(_forgottenTo, _first + RunFindings.FirstSeconds); s < second; s++)
            {
                BySecond.Remove(s);
            }

            _forgottenTo = Math.Max(_forgottenTo, second);
        }

        /// <summary>All points in order of seconds; or those of the first seconds and of <paramref name="second"/>.</summary>
        public T[] ToArray(int? second)
        {
            if (second is not { } shown)
            {
                return [.. BySecond.OrderBy(p => p.Key).Select(p => p.Value)];
            }

            var points = new List<T>(RunFindings.FirstSeconds + 1);
            for (var s = _first; s < _first + RunFindings.FirstSeconds && s < shown; s++)
            {
                if (BySecond.TryGetValue(s, out var point))
                {
                    points.Add(point);
                }
            }

            if (BySecond.TryGetValue(shown, out var current))
            {
                points.Add(current);
            }

            return [.. points];
        }
    }
}
