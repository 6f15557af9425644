using LoadKit.Engine;
using LoadKit.Workload;

namespace LoadKit.Targets;

/// <summary>
/// The cut of a run's load into consecutive segments, one per process, whose parts add up exactly to the whole at any
/// instant (k6's execution segments): every VU slot, iteration and arrival is owned by exactly one segment, and each
/// process computes its own part knowing only the segments and its index. Immutable.
/// </summary>
public sealed class LoadSegments
{
    private LoadSegments(SegmentSequence sequence)
    {
        Sequence = sequence;
        Boundaries = [.. sequence.Boundaries.Select(b => b.ToString())];
    }

    /// <summary>The number of segments (of processes that share the load).</summary>
    public int Count => Sequence.Count;

    /// <summary>
    /// The boundaries from <c>0</c> to <c>1</c> as exact fractions (<c>0</c>, <c>1/3</c>, <c>2/3</c>, <c>1</c>): segment
    /// i is <c>(Boundaries[i], Boundaries[i + 1]]</c>. What <see cref="Parse"/> reads back in another process.
    /// </summary>
    public IReadOnlyList<string> Boundaries { get; }

    internal SegmentSequence Sequence { get; }

    /// <summary><paramref name="count"/> equal segments.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1.</exception>
    public static LoadSegments Equal(int count) => new(SegmentSequence.Equal(count));

    /// <summary>The segments between <paramref name="boundaries"/>, written as <see cref="Boundaries"/> writes them.</summary>
    /// <exception cref="FormatException">A boundary is not a fraction <c>a/b</c> of whole numbers.</exception>
    /// <exception cref="ArgumentException">The boundaries do not rise from 0 to 1, or need a common denominator above 100,000.</exception>
    public static LoadSegments Parse(IEnumerable<string> boundaries)
    {
        ArgumentNullException.ThrowIfNull(boundaries);
        return new(new SegmentSequence([.. boundaries.Select(Fraction.Parse)]));
    }

    /// <summary>Segment <paramref name="index"/>, the part of the load its process owns, and what a take-over cuts further.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not from 0 to <see cref="Count"/> - 1.</exception>
    public LoadPart Segment(int index)
    {
        if (index < 0 || index >= Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"segment index = {index}: allowed 0 to {Count - 1} for segments {this}.");
        }

        return LoadPart.Of(this, index);
    }

    /// <summary>Segment <paramref name="index"/> as people read it, e.g. <c>segment 2 of 3 (1/3, 2/3]</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not from 0 to <see cref="Count"/> - 1.</exception>
    public string Describe(int index) => Segment(index).ToString();

    /// <summary>
    /// The problems of cutting every scenario's load of <paramref name="plan"/> into these segments (a block with fewer
    /// VUs than segments that must all run, say); empty when it can be split.
    /// </summary>
    public IReadOnlyList<string> Check(RunPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return [.. plan.CheckSplit(Sequence)];
    }

    /// <summary>
    /// Of each scenario of <paramref name="plan"/> whose iteration-counted block is under way at
    /// <paramref name="resumeAt"/>: how many of that block's iterations <paramref name="held"/> owned, and how many of
    /// them its holder's last snapshot had not counted, so the processes that take it over run them. Scenarios with no
    /// such block are left out.
    /// </summary>
    /// <param name="plan">The run.</param>
    /// <param name="held">What the lost process held: its segment, or a part it had taken over.</param>
    /// <param name="resumeAt">The time of the plan from which it moves.</param>
    /// <param name="progress">
    /// Its progress in the last snapshot that reported it (the entries of <see cref="ShareSnapshot.Progress"/> with its
    /// take-over's id); null when none did (all it owned moves).
    /// </param>
    /// <param name="sent">
    /// When <paramref name="held"/> was itself taken over: the counts its take-over was sent
    /// (<see cref="SegmentTakeOver.Iterations"/>), which it owned of the block under way then instead of its whole part.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="held"/> is a part of other segments.</exception>
    public IReadOnlyList<MovedIterations> IterationsToMove(
        RunPlan plan, LoadPart held, TimeSpan resumeAt, IReadOnlyList<ScenarioProgress>? progress, IReadOnlyList<ScenarioIterations>? sent = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        CheckPartOfThese(held);
        var moved = new List<MovedIterations>();
        for (var i = 0; i < plan.Scenarios.Count; i++)
        {
            if (ScenarioEngine.IterationBlockUnderWay(plan.Loads[i], resumeAt) is not var (index, block))
            {
                continue;
            }

            var name = plan.Scenarios[i].Name;
            var owned = sent?.FirstOrDefault(s => s.Scenario == name && s.Block == index) is { } given ? given.Iterations : block.IterationsFor(held.Share);
            var reported = progress is null ? (IterationProgress?)null : ScenarioProgress.Find(progress, name);
            moved.Add(new MovedIterations(name, index, owned, IterationTakeOver.Remaining(owned, index, reported)));
        }

        return moved;
    }

    /// <summary>
    /// How the <see cref="MovedIterations.Remaining"/> iterations of <paramref name="moved"/> split over the parts
    /// <c>held.Cut(0, parts)</c> to <c>held.Cut(parts - 1, parts)</c>: in proportion to the block's VUs each part owns,
    /// so they add up exactly, and a part that owns none of its VUs gets no iteration it could not run. Element i is
    /// what part i's take-over is sent.
    /// </summary>
    /// <param name="plan">The run.</param>
    /// <param name="held">What moves.</param>
    /// <param name="moved">One of what <see cref="IterationsToMove"/> returned for <paramref name="held"/>.</param>
    /// <param name="parts">Into how many parts <paramref name="held"/> is cut, from 1.</param>
    /// <exception cref="ArgumentException"><paramref name="held"/> is a part of other segments, or <paramref name="moved"/> names no iteration-counted block of <paramref name="plan"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parts"/> is below 1.</exception>
    public IReadOnlyList<ScenarioIterations> SplitIterations(RunPlan plan, LoadPart held, MovedIterations moved, int parts)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(moved);
        CheckPartOfThese(held);
        ArgumentOutOfRangeException.ThrowIfLessThan(parts, 1);
        var scenario = plan.Scenarios.ToList().FindIndex(s => s.Name == moved.Scenario);
        if (scenario < 0 || moved.Block < 0 || moved.Block >= plan.Loads[scenario].Blocks.Count || plan.Loads[scenario].Blocks[moved.Block] is not IterationsBlock block)
        {
            throw new ArgumentException(
                $"moved iterations = block {moved.Block} of scenario '{moved.Scenario}': allowed an iteration-counted block of a scenario of the plan.", nameof(moved));
        }

        return [.. Enumerable.Range(0, parts).Select(part =>
            new ScenarioIterations(moved.Scenario, moved.Block, IterationTakeOver.PartOf(moved.Remaining, block, held.Share, part, parts)))];
    }

    /// <summary>Whether <paramref name="part"/> is a segment of this cut, or a part of one.</summary>
    internal bool Contain(LoadPart part) => ReferenceEquals(part.Segments, this) || part.Segments.ToString() == ToString();

    private void CheckPartOfThese(LoadPart held)
    {
        ArgumentNullException.ThrowIfNull(held);
        if (!Contain(held))
        {
            throw new ArgumentException($"part = {held} of segments {held.Segments}: allowed a part of segments {this}.", nameof(held));
        }
    }

    /// <summary>The boundaries, comma-separated: <c>0,1/3,2/3,1</c>.</summary>
    public override string ToString() => Sequence.ToString();
}

/// <summary>What moves of a held part's iteration-counted block under way (<see cref="LoadSegments.IterationsToMove"/>). Immutable.</summary>
/// <param name="Scenario">The scenario's name.</param>
/// <param name="Block">The block's index in the scenario's load.</param>
/// <param name="Owned">The block's iterations the part owned (those its take-over was sent, when it was taken over inside the block).</param>
/// <param name="Remaining">Those its last snapshot had not counted (all it owned when no snapshot reported it): the ones that move.</param>
public sealed record MovedIterations(string Scenario, int Block, long Owned, long Remaining);

/// <summary>How many iterations of a scenario's iteration-counted block a part of the load runs (<see cref="SegmentTakeOver.Iterations"/>). Immutable.</summary>
/// <param name="Scenario">The scenario's name.</param>
/// <param name="Block">The block's index in the scenario's load.</param>
/// <param name="Iterations">How many of its iterations, from 0.</param>
public sealed record ScenarioIterations(string Scenario, int Block, long Iterations);
