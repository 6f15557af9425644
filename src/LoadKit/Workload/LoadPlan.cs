namespace LoadKit.Workload;

/// <summary>
/// A scenario's load as blocks of work, computed by a pure function of its phases: consecutive user phases
/// become one continuous VU timeline, consecutive arrival-rate phases one schedule, and each iteration-counted
/// phase a block of its own. Every block can be cut into a segment's exact part.
/// </summary>
internal sealed class LoadPlan
{
    private LoadPlan(IReadOnlyList<PlanBlock> blocks) => Blocks = blocks;

    public IReadOnlyList<PlanBlock> Blocks { get; }

    /// <summary>The most VUs the whole load uses at once (the sum over all segments).</summary>
    public int MaxUsers => Blocks.Count == 0 ? 0 : Blocks.Max(b => b.MaxUsers);

    /// <summary>Plans <paramref name="warmUp"/> phases, then <paramref name="load"/> phases, all already validated.</summary>
    public static LoadPlan Create(IReadOnlyList<LoadPhase> warmUp, IReadOnlyList<LoadPhase> load)
    {
        var blocks = new List<PlanBlock>();
        UsersBlock.Builder? users = null;
        ArrivalBlock.Builder? arrivals = null;

        void Close()
        {
            if (users is not null)
            {
                blocks.Add(users.Build());
            }

            if (arrivals is not null)
            {
                blocks.Add(arrivals.Build());
            }

            users = null;
            arrivals = null;
        }

        foreach (var (phase, isWarmUp) in warmUp.Select(p => (p, true)).Concat(load.Select(p => (p, false))))
        {
            switch (phase)
            {
                case UsersPhase usersPhase:
                    if (users is null)
                    {
                        Close();
                        users = new UsersBlock.Builder();
                    }

                    users.Add(usersPhase, isWarmUp);
                    break;
                case ArrivalRatePhase ratePhase:
                    if (arrivals is null)
                    {
                        Close();
                        arrivals = new ArrivalBlock.Builder();
                    }

                    arrivals.Add(ratePhase, isWarmUp);
                    break;
                case IterationsPhase iterations:
                    Close();
                    blocks.Add(new IterationsBlock(iterations.Users, iterations.Iterations, iterations.Shared, iterations.Duration, isWarmUp));
                    break;
                default:
                    throw new InvalidOperationException($"Unknown load phase {phase.GetType().Name}.");
            }
        }

        Close();
        return new LoadPlan(blocks);
    }

    /// <summary>
    /// The problems of cutting this plan into <paramref name="sequence"/>: a segment that would own iterations but
    /// no VU to run them (k6's issue 1308).
    /// </summary>
    public IReadOnlyList<ValidationProblem> CheckSplit(SegmentSequence sequence)
    {
        var problems = new List<ValidationProblem>();
        for (var b = 0; b < Blocks.Count; b++)
        {
            for (var s = 0; s < sequence.Count; s++)
            {
                if (Blocks[b].CheckShare(sequence.Share(s)) is { } problem)
                {
                    problems.Add(new($"Load block {b + 1}", problem, $"every segment needs a VU for its work; use fewer than {sequence.Count} load processes or more users"));
                }
            }
        }

        return problems;
    }
}

/// <summary>One block of a plan.</summary>
/// <param name="Duration">How long the block lasts (for iteration-counted blocks: its maximum).</param>
/// <param name="WarmUpUntil">Iterations that start before this offset are warm-up (zero: none; the duration or more: all).</param>
internal abstract record PlanBlock(TimeSpan Duration, TimeSpan WarmUpUntil)
{
    /// <summary>The most VUs the block uses at once over all segments.</summary>
    public abstract int MaxUsers { get; }

    /// <summary>The VUs over all segments that the block starts at its first instant (an open model: its pre-allocated pool).</summary>
    public abstract int UsersAtStart { get; }

    /// <summary>The most VUs at once in the block's warm-up part (before <see cref="WarmUpUntil"/>) or measured part.</summary>
    public virtual int MaxUsersIn(bool warmUp) => MaxUsers;

    /// <summary>Why <paramref name="share"/> cannot run its part, or null when it can.</summary>
    public virtual string? CheckShare(SegmentShare share) => null;
}

/// <summary>A VU start or stop of a users block.</summary>
/// <param name="At">The offset from the block's start.</param>
/// <param name="Slot">The global VU slot that starts or stops.</param>
/// <param name="Start">True for a start, false for a stop.</param>
internal readonly record struct UserEvent(TimeSpan At, int Slot, bool Start);

/// <summary>A stage of a users block: the level goes linearly from <c>From</c> to <c>To</c>, after a jump to <c>From</c>.</summary>
internal readonly record struct UsersStage(TimeSpan Start, TimeSpan Duration, int From, int To);

/// <summary>Closed model: a number of VUs that follows stages; VU slot k runs while the level is above k.</summary>
internal sealed record UsersBlock(IReadOnlyList<UsersStage> Stages, TimeSpan Duration, TimeSpan WarmUpUntil)
    : PlanBlock(Duration, WarmUpUntil)
{
    public override int MaxUsers => Stages.Max(s => Math.Max(s.From, s.To));

    public override int UsersAtStart => Stages[0].From;

    /// <summary>Stages are linear, so the most VUs of a part is at a stage boundary or at the warm-up's end.</summary>
    public override int MaxUsersIn(bool warmUp) => Stages
        .Where(s => warmUp ? s.Start < WarmUpUntil : s.Start + s.Duration > WarmUpUntil)
        .Select(s => Math.Max(
            warmUp || s.Start >= WarmUpUntil ? s.From : LevelAt(WarmUpUntil),
            !warmUp || s.Start + s.Duration <= WarmUpUntil ? s.To : LevelAt(WarmUpUntil)))
        .DefaultIfEmpty()
        .Max();

    /// <summary>The level at <paramref name="at"/> (after the events at that instant).</summary>
    public int LevelAt(TimeSpan at) => Events().TakeWhile(e => e.At <= at).Sum(e => e.Start ? 1 : -1);

    /// <summary>Every start and stop, in time order: jumps at a stage's start, then one change every Duration/|To-From|.</summary>
    public IEnumerable<UserEvent> Events()
    {
        var level = 0;
        foreach (var stage in Stages)
        {
            for (; level < stage.From; level++)
            {
                yield return new UserEvent(stage.Start, level, Start: true);
            }

            for (; level > stage.From; level--)
            {
                yield return new UserEvent(stage.Start, level - 1, Start: false);
            }

            var changes = Math.Abs(stage.To - stage.From);
            for (var m = 1; m <= changes; m++)
            {
                var at = stage.Start + (stage.Duration * m / changes);
                yield return stage.To > stage.From
                    ? new UserEvent(at, level++, Start: true)
                    : new UserEvent(at, --level, Start: false);
            }
        }
    }

    /// <summary>The events of the VU slots <paramref name="share"/> owns.</summary>
    public IReadOnlyList<UserEvent> EventsFor(SegmentShare share) => Events().Where(e => share.Owns(e.Slot)).ToArray();

    public sealed class Builder
    {
        private readonly List<UsersStage> _stages = [];
        private TimeSpan _duration;
        private TimeSpan _warmUpUntil;

        public void Add(UsersPhase phase, bool isWarmUp)
        {
            var from = phase.From ?? (_stages.Count == 0 ? 0 : _stages[^1].To);
            _stages.Add(new UsersStage(_duration, phase.Duration, from, phase.To));
            _duration += phase.Duration;
            if (isWarmUp)
            {
                _warmUpUntil = _duration;
            }
        }

        public UsersBlock Build() => new(_stages.ToArray(), _duration, _warmUpUntil);
    }
}

/// <summary>A stage of an arrival block: the rate (per second) goes linearly from <c>From</c> to <c>To</c>.</summary>
internal readonly record struct RateStage(TimeSpan Start, TimeSpan Duration, double From, double To)
{
    /// <summary>Iterations scheduled over the whole stage: the integral of the rate.</summary>
    public double Count => (From + To) / 2 * Duration.TotalSeconds;
}

/// <summary>
/// Open model: global iteration k starts at the instant where the integral of the rate reaches k, so the first
/// starts at once and the schedule is exact for linear ramps. A segment runs the iterations it owns.
/// </summary>
internal sealed record ArrivalBlock(IReadOnlyList<RateStage> Stages, int PreAllocatedUsers, int MaxPoolUsers, TimeSpan Duration, TimeSpan WarmUpUntil)
    : PlanBlock(Duration, WarmUpUntil)
{
    private readonly double[] _countBefore = CumulativeCounts(Stages);

    public override int MaxUsers => MaxPoolUsers;

    public override int UsersAtStart => PreAllocatedUsers;

    /// <summary>How many iterations the whole block schedules.</summary>
    /// <remarks>The tolerance is relative: the integral's rounding error grows with the count.</remarks>
    public long TotalIterations => (long)Math.Ceiling(_countBefore[^1] - Math.Max(1e-9, _countBefore[^1] * 1e-12));

    /// <summary>When global iteration <paramref name="k"/> is scheduled, as an offset from the block's start.</summary>
    public TimeSpan ScheduledAt(long k)
    {
        // The last stage that starts at or before k (a loop: a predicate capturing k would allocate per iteration).
        var stage = Stages.Count - 1;
        while (stage >= 0 && _countBefore[stage] > k)
        {
            stage--;
        }

        while (stage > 0 && Stages[stage].Count == 0)
        {
            stage--;
        }

        var s = Stages[Math.Max(stage, 0)];
        var m = k - _countBefore[Math.Max(stage, 0)];
        if (m <= 0)
        {
            return s.Start;
        }

        // Solve From·τ + (To - From)·τ²/(2d) = m in the stable form (no cancellation, no division by a zero slope).
        var slope = (s.To - s.From) / (2 * s.Duration.TotalSeconds);
        var seconds = 2 * m / (s.From + Math.Sqrt((s.From * s.From) + (4 * slope * m)));
        return s.Start + TimeSpan.FromSeconds(Math.Min(seconds, s.Duration.TotalSeconds));
    }

    /// <summary>
    /// The first global iteration scheduled at or after <paramref name="offset"/> (<see cref="TotalIterations"/> when
    /// none is): a binary search, as <see cref="ScheduledAt"/> never decreases with the index.
    /// </summary>
    public long FirstAtOrAfter(TimeSpan offset)
    {
        long low = 0;
        var high = TotalIterations;
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            if (ScheduledAt(middle) >= offset)
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }

        return low;
    }

    public override string? CheckShare(SegmentShare share)
    {
        var iterations = share.CountOwned(TotalIterations);
        var users = share.CountOwned(MaxPoolUsers);
        return iterations > 0 && users == 0
            ? $"{share} would start {iterations} iterations with 0 of the {MaxPoolUsers} max users"
            : null;
    }

    private static double[] CumulativeCounts(IReadOnlyList<RateStage> stages)
    {
        var counts = new double[stages.Count + 1];
        for (var i = 0; i < stages.Count; i++)
        {
            counts[i + 1] = counts[i] + stages[i].Count;
        }

        return counts;
    }

    public sealed class Builder
    {
        private readonly List<RateStage> _stages = [];
        private TimeSpan _duration;
        private TimeSpan _warmUpUntil;
        private int _preAllocated;
        private int _max;

        public void Add(ArrivalRatePhase phase, bool isWarmUp)
        {
            var from = phase.FromPerSecond ?? (_stages.Count == 0 ? 0 : _stages[^1].To);
            _stages.Add(new RateStage(_duration, phase.Duration, from, phase.ToPerSecond));
            _duration += phase.Duration;
            _preAllocated = Math.Max(_preAllocated, phase.PreAllocatedUsers);
            _max = Math.Max(_max, phase.MaxUsers);
            if (isWarmUp)
            {
                _warmUpUntil = _duration;
            }
        }

        public ArrivalBlock Build() => new(_stages.ToArray(), _preAllocated, _max, _duration, _warmUpUntil);
    }
}

/// <summary>Closed model: iterations counted per VU or shared by all VUs, bounded by a maximum duration.</summary>
internal sealed record IterationsBlock(int Users, int Iterations, bool Shared, TimeSpan Duration, bool IsWarmUp)
    : PlanBlock(Duration, IsWarmUp ? TimeSpan.MaxValue : TimeSpan.Zero)
{
    public override int MaxUsers => Users;

    public override int UsersAtStart => Users;

    /// <summary>The iterations <paramref name="share"/> runs: for shared iterations, its part of the count.</summary>
    public long IterationsFor(SegmentShare share) => Shared ? share.CountOwned(Iterations) : (long)Iterations * share.CountOwned(Users);

    public override string? CheckShare(SegmentShare share)
    {
        var users = share.CountOwned(Users);
        var iterations = IterationsFor(share);
        return iterations > 0 && users == 0 ? $"{share} would run {iterations} iterations with 0 of the {Users} users" : null;
    }
}
