using LoadKit.Results;

namespace LoadKit.Targets;

/// <summary>
/// Running totals and per-second points built from incremental snapshots (<see cref="ShareSnapshot.Result"/>: what
/// a share measured since its previous snapshot). Adding a snapshot costs in proportion to the snapshot, not to the
/// length of the run: each timeline point goes into its second, and the totals add (counts add, histograms merge)
/// snapshots in batches, when a batch is full or the totals are read. The totals of one process's snapshots
/// (<see cref="ToResult"/>) are exactly that process's result; the totals of every process's snapshots give a run's
/// live figures (<see cref="Current"/>). Not thread-safe: one writer, readers under the same lock (a read adds up the
/// batch).
/// </summary>
/// <remarks>
/// A snapshot that never arrives loses its counts and points (a gap in the timeline where its seconds were); later
/// snapshots still add up, since each carries only its own interval. Whole totals keep the points (and each process's
/// health samples) of their latest seconds in memory and move older ones, a minute at a time, to a temporary file without a name (deleted when the
/// totals are disposed or the process ends), so their memory does not grow with the run; where no file can be written,
/// the points stay in memory.
/// </remarks>
public sealed class ShareTotals : IDisposable
{
    /// <summary>Whole totals keep this many seconds before the latest in memory: a snapshot's points come a second or two late.</summary>
    private const int KeptSeconds = 30;

    /// <summary>Seconds moved to the file at once: one block per timeline and minute.</summary>
    private const int MovedSeconds = 60;

    /// <summary>Intervals added to the totals in one merge (with the totals: the most one sparse merge takes at once).</summary>
    private const int AddedAtOnce = 31;

    private readonly List<ScenarioTotals> _scenarios = [];
    private readonly int? _recentSeconds;
    private readonly SecondsFile? _pastSeconds;
    private readonly (int Kept, int Moved) _spill;
    private readonly Dictionary<string, (int Cores, Seconds<HealthSample> Samples)> _health = new(StringComparer.Ordinal);
    private DateTimeOffset _startedAt;
    private DateTimeOffset _endedAt;
    private bool _cancelled;
    private IReadOnlyList<string> _notes = [];

    /// <summary>Totals that keep every second's points (<see cref="ToResult"/> gives whole timelines).</summary>
    public ShareTotals()
        : this(KeptSeconds, MovedSeconds)
    {
    }

    /// <summary>Whole totals that move points older than <paramref name="keptSeconds"/> to the file, <paramref name="movedSeconds"/> at a time.</summary>
    internal ShareTotals(int keptSeconds, int movedSeconds)
    {
        _pastSeconds = new SecondsFile();
        _spill = (keptSeconds, movedSeconds);
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
        _spill = (recentSeconds, 1);
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
                totals = new ScenarioTotals(scenario.Name, keepLate: _recentSeconds is null);
                _scenarios.Add(totals);
            }

            totals.Add(scenario, source);
            LastSecond = Math.Max(LastSecond, totals.LastSecond);
            totals.Move(LastSecond - _spill.Kept, _spill.Moved, _pastSeconds);
        }

        foreach (var generator in interval.Generators)
        {
            if (!_health.TryGetValue(generator.Process, out var health))
            {
                health = (generator.Cores, new Seconds<HealthSample>(HealthSamples));
            }

            foreach (var sample in generator.Samples)
            {
                health.Samples.Add(sample, keepLate: _recentSeconds is null);
            }

            _health[generator.Process] = (generator.Cores, health.Samples);
            health.Samples.Move(LastSecond - _spill.Kept, _spill.Moved, _pastSeconds);
        }
    }

    /// <summary>Everything added, as one result with whole timelines (in proportion to the run's length: call it at the end).</summary>
    /// <exception cref="InvalidOperationException">These totals keep only recent seconds (made with a number of them).</exception>
    public LoadResult ToResult() => _recentSeconds is { } recent
        ? throw new InvalidOperationException($"These totals keep only their last {recent} seconds (recentSeconds = {recent}), for live figures: a whole result would miss the others.")
        : new(_startedAt, _endedAt, _cancelled, [.. _scenarios.Select(s => s.ToResult(null, _pastSeconds))])
    {
        Notes = _notes,
        Generators = [.. _health.Select(h => new GeneratorHealth(h.Key, h.Value.Cores, h.Value.Samples.ToArray(null, _pastSeconds)))],
    };

    /// <summary>
    /// The totals so far, each timeline holding only its first seconds (what shows a step failing from its start) and
    /// the point of <paramref name="second"/>: a run's live figures, at a cost that does not grow with the run.
    /// </summary>
    /// <param name="second">The second to show: the latest one every live process has sent.</param>
    public IReadOnlyList<ScenarioResult> Current(int second) => [.. _scenarios.Select(s => s.ToResult(second, null))];

    /// <summary>Points held in memory, of every timeline (those moved to the file are not).</summary>
    internal int PointsInMemory => _scenarios.Sum(s => s.PointsInMemory) + _health.Values.Sum(h => h.Samples.InMemory);

    /// <summary>Deletes the file of past seconds; <see cref="ToResult"/> cannot read them afterwards.</summary>
    public void Dispose() => _pastSeconds?.Dispose();

    /// <summary>One scenario's totals (without timelines), its points by second, and the latest users of each source.</summary>
    private sealed class ScenarioTotals(string name, bool keepLate)
    {
        private readonly Dictionary<string, Seconds<TimelinePoint>> _stepPoints = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Seconds<ScenarioTimelinePoint>> _points = new(StringComparer.Ordinal);
        private readonly Dictionary<int, (int Users, int Abandoned)> _users = [];
        private readonly List<ScenarioResult> _added = new(AddedAtOnce);
        private ScenarioResult? _total;
        private int _peak;

        public string Name { get; } = name;

        public int LastSecond { get; private set; } = -1;

        /// <summary>
        /// Adds an interval's points to their seconds at once, and its counts and histograms to the totals with up to
        /// <see cref="AddedAtOnce"/> - 1 others: a merge reads the totals' buckets, which fill as a run goes on
        /// (rarer latencies), so merging every snapshot alone made the cost per snapshot grow with the run.
        /// </summary>
        public void Add(ScenarioResult interval, int source)
        {
            _users[source] = (interval.Users, interval.AbandonedUsers);
            _peak = Math.Max(_peak, AddPoints(interval, ""));
            _added.Add(interval);
            if (_added.Count == AddedAtOnce)
            {
                AddUp();
            }
        }

        /// <summary>The totals with every interval added so far.</summary>
        private ScenarioResult Total()
        {
            if (_added.Count > 0)
            {
                AddUp();
            }

            return _total!;
        }

        private void AddUp()
        {
            var total = ResultDelta.Add(_total, _added);
            _total = total with
            {
                Users = _users.Values.Sum(u => u.Users),
                AbandonedUsers = _users.Values.Sum(u => u.Abandoned),
                PeakUsers = Math.Max(total.PeakUsers, _peak),
            };
            _added.Clear();
        }

        public int PointsInMemory => _points.Values.Sum(t => t.InMemory) + _stepPoints.Values.Sum(t => t.InMemory);

        /// <summary>Takes the points of seconds before <paramref name="second"/> out of memory (except the first seconds): into <paramref name="file"/>, or nowhere.</summary>
        public void Move(int second, int batch, SecondsFile? file)
        {
            foreach (var table in _points.Values)
            {
                table.Move(second, batch, file);
            }

            foreach (var table in _stepPoints.Values)
            {
                table.Move(second, batch, file);
            }
        }

        /// <summary>The totals with their timelines: all points, or (<paramref name="second"/>) the first seconds and that second's.</summary>
        public ScenarioResult ToResult(int? second, SecondsFile? file) => WithTimelines(Total(), "", second, file);

        /// <summary>Adds every timeline point of <paramref name="interval"/> into its second; returns the highest active users of a second it changed.</summary>
        private int AddPoints(ScenarioResult interval, string prefix)
        {
            var peak = 0;
            var scenario = Table(_points, prefix, ScenarioPoints);
            foreach (var point in interval.Timeline)
            {
                peak = Math.Max(peak, scenario.Add(point, keepLate)?.ActiveUsers ?? 0);
                LastSecond = Math.Max(LastSecond, point.Second);
            }

            foreach (var (key, stats) in Keyed(interval, prefix))
            {
                var table = Table(_stepPoints, key, StepPoints);
                foreach (var point in stats.Timeline)
                {
                    table.Add(point, keepLate);
                    LastSecond = Math.Max(LastSecond, point.Second);
                }
            }

            if (interval.WarmUp is { } warmUp)
            {
                AddPoints(warmUp, prefix + "warm-up/");
            }

            return peak;
        }

        private ScenarioResult WithTimelines(ScenarioResult total, string prefix, int? second, SecondsFile? file)
        {
            StepStats With(string key, StepStats stats) =>
                stats with { Timeline = _stepPoints.TryGetValue(key, out var table) ? table.ToArray(second, file) : [] };
            var keys = Keyed(total, prefix).Select(k => k.Key).ToArray();
            var at = 0;
            return total with
            {
                Timeline = _points.TryGetValue(prefix, out var points) ? points.ToArray(second, file) : [],
                Steps = [.. total.Steps.Select(s => With(keys[at++], s))],
                Iterations = With(keys[at++], total.Iterations),
                Init = total.Init is { } init ? With(keys[at++], init) : null,
                Cleanup = total.Cleanup is { } cleanup ? With(keys[at++], cleanup) : null,
                Tasks = [.. total.Tasks.Select(s => With(keys[at++], s))],
                PreWork = [.. total.PreWork.Select(s => With(keys[at++], s))],
                Measurements = [.. total.Measurements.Select(s => With(keys[at++], s))],
                WarmUp = total.WarmUp is { } warmUp ? WithTimelines(warmUp, prefix + "warm-up/", second, file) : null,
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

        private static Seconds<T> Table<T>(Dictionary<string, Seconds<T>> tables, string key, PointCodec<T> codec)
        {
            if (!tables.TryGetValue(key, out var table))
            {
                table = new Seconds<T>(codec);
                tables[key] = table;
            }

            return table;
        }
    }

    /// <summary>How a timeline's points add up and are written to the file of past seconds.</summary>
    private sealed record PointCodec<T>(Func<T, int> Second, Func<T, T, T> Add, Action<BinaryWriter, T> Write, Func<BinaryReader, T> Read);

    private static readonly PointCodec<TimelinePoint> StepPoints = new(
        p => p.Second,
        (a, b) => StepStats.MergeTimeline([a, b])[0],
        (writer, p) =>
        {
            writer.Write(p.Second);
            writer.Write(p.Ok);
            writer.Write(p.Failed);
            writer.Write(p.TimedOut);
            var histogram = p.Latency.Count == 0 ? [] : p.Latency.EncodeHistogram();
            writer.Write(histogram.Length);
            writer.Write(histogram);
            writer.Write(p.Latency.SumMicroseconds);
            writer.Write(p.Latency.MinMicroseconds);
            writer.Write(p.Latency.MaxMicroseconds);
        },
        reader =>
        {
            var (second, ok, failed, timedOut) = (reader.ReadInt32(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64());
            var histogram = reader.ReadBytes(reader.ReadInt32());
            var (sum, min, max) = (reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64());
            var latency = histogram.Length == 0 ? LatencyDistribution.Empty : LatencyDistribution.Decode(histogram, sum, min, max);
            return new TimelinePoint(second, ok, failed, timedOut, latency);
        });

    private static readonly PointCodec<ScenarioTimelinePoint> ScenarioPoints = new(
        p => p.Second,
        (a, b) => new ScenarioTimelinePoint(a.Second, a.ActiveUsers + b.ActiveUsers, a.Dropped + b.Dropped, a.Late + b.Late),
        (writer, p) =>
        {
            writer.Write(p.Second);
            writer.Write(p.ActiveUsers);
            writer.Write(p.Dropped);
            writer.Write(p.Late);
        },
        reader => new ScenarioTimelinePoint(reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt64(), reader.ReadInt64()));

    /// <summary>A process's health samples: a second sent twice counts once.</summary>
    private static readonly PointCodec<HealthSample> HealthSamples = new(
        h => h.Second,
        (earlier, later) => later,
        (writer, h) =>
        {
            writer.Write(h.Second);
            writer.Write(h.CpuPercent);
            writer.Write(h.WorkingSetBytes);
            writer.Write(h.Gen0Collections);
            writer.Write(h.Gen1Collections);
            writer.Write(h.Gen2Collections);
            writer.Write(h.GcPause.Ticks);
            writer.Write(h.ThreadPoolQueueLength);
        },
        reader => new HealthSample(reader.ReadInt32(), reader.ReadDouble(), reader.ReadInt64(), reader.ReadInt32(), reader.ReadInt32(),
            reader.ReadInt32(), TimeSpan.FromTicks(reader.ReadInt64()), reader.ReadInt64()));

    /// <summary>
    /// One timeline's points by second. The points of the first seconds always stay; those of seconds long past are
    /// dropped (live totals) or moved to the file of past seconds in blocks (whole totals), where a late point of a
    /// moved second is added to them when they are read.
    /// </summary>
    private sealed class Seconds<T>(PointCodec<T> codec)
    {
        private readonly Dictionary<int, T> _bySecond = [];
        private readonly List<(long Offset, int Length)> _blocks = [];
        private Dictionary<int, T>? _late;
        private int _first = int.MaxValue;
        private int _movedTo = int.MinValue;

        /// <summary>Points held in memory (the moved ones are not).</summary>
        public int InMemory => _bySecond.Count + (_late?.Count ?? 0);

        /// <summary>Adds <paramref name="point"/> to its second's; returns the second's point in memory (null: a second moved or forgotten).</summary>
        public T? Add(T point, bool keepLate)
        {
            var second = codec.Second(point);
            if (second < _movedTo && second >= _first + RunFindings.FirstSeconds)
            {
                if (keepLate)
                {
                    _late ??= [];
                    _late[second] = _late.TryGetValue(second, out var moved) ? codec.Add(moved, point) : point;
                }

                return default; // a live total's late point of a forgotten second: live figures have moved on
            }

            var sum = _bySecond.TryGetValue(second, out var earlier) ? codec.Add(earlier, point) : point;
            _bySecond[second] = sum;
            _first = Math.Min(_first, second);
            return sum;
        }

        /// <summary>
        /// Takes the points of the seconds before <paramref name="second"/> (except the first seconds) out of memory, once
        /// they span at least <paramref name="batch"/> seconds: into <paramref name="file"/>, or (null) nowhere. Points
        /// that cannot be written stay.
        /// </summary>
        public void Move(int second, int batch, SecondsFile? file)
        {
            if (_first == int.MaxValue)
            {
                return; // no point yet: the first seconds are not known
            }

            var from = Math.Max(_movedTo, _first + RunFindings.FirstSeconds);
            if (second - from < batch || file is { Failed: true })
            {
                return;
            }

            if (file is not null)
            {
                using var bytes = new MemoryStream();
                using (var writer = new BinaryWriter(bytes, System.Text.Encoding.UTF8, leaveOpen: true))
                {
                    for (var s = from; s < second; s++)
                    {
                        if (_bySecond.TryGetValue(s, out var point))
                        {
                            codec.Write(writer, point);
                        }
                    }
                }

                if (bytes.Length > 0)
                {
                    if (file.Append(bytes.GetBuffer().AsSpan(0, (int)bytes.Length)) is not { } block)
                    {
                        return;
                    }

                    _blocks.Add(block);
                }
            }

            for (var s = from; s < second; s++)
            {
                _bySecond.Remove(s);
            }

            _movedTo = second;
        }

        /// <summary>All points in order of seconds (those moved to <paramref name="file"/> read back); or those of the first seconds and of <paramref name="second"/>.</summary>
        public T[] ToArray(int? second, SecondsFile? file)
        {
            if (second is not { } shown)
            {
                var all = new SortedDictionary<int, T>(_bySecond);
                foreach (var block in _blocks)
                {
                    using var reader = new BinaryReader(new MemoryStream(file!.Read(block)));
                    while (reader.BaseStream.Position < reader.BaseStream.Length)
                    {
                        var point = codec.Read(reader);
                        var at = codec.Second(point);
                        all[at] = all.TryGetValue(at, out var kept) ? codec.Add(kept, point) : point;
                    }
                }

                foreach (var (s, late) in _late ?? [])
                {
                    all[s] = all.TryGetValue(s, out var moved) ? codec.Add(moved, late) : late;
                }

                return [.. all.Values];
            }

            var points = new List<T>(RunFindings.FirstSeconds + 1);
            for (var s = _first; s < _first + RunFindings.FirstSeconds && s < shown; s++)
            {
                if (_bySecond.TryGetValue(s, out var point))
                {
                    points.Add(point);
                }
            }

            if (_bySecond.TryGetValue(shown, out var current))
            {
                points.Add(current);
            }

            return [.. points];
        }
    }
}
