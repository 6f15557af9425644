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

    /// <summary>Segment <paramref name="index"/> as people read it, e.g. <c>segment 2 of 3 (1/3, 2/3]</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not from 0 to <see cref="Count"/> - 1.</exception>
    public string Describe(int index) => Sequence.Share(index).ToString();

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
    /// <paramref name="resumeAt"/>: how many of that block's iterations segment <paramref name="lostSegment"/> owned,
    /// and how many of them its last snapshot had not counted, so the processes that take it over run them.
    /// Scenarios with no such block are left out.
    /// </summary>
    /// <param name="plan">The run.</param>
    /// <param name="lostSegment">The segment of the process that was lost.</param>
    /// <param name="resumeAt">The time of the plan from which its share moves.</param>
    /// <param name="progress">Its progress in its last snapshot (<see cref="ShareSnapshot.Progress"/>); null when none arrived (all it owned moves).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lostSegment"/> is not a segment.</exception>
    public IReadOnlyList<MovedIterations> IterationsToMove(RunPlan plan, int lostSegment, TimeSpan resumeAt, IReadOnlyList<ScenarioProgress>? progress)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var lost = Sequence.Share(lostSegment);
        var moved = new List<MovedIterations>();
        for (var i = 0; i < plan.Scenarios.Count; i++)
        {
            if (ScenarioEngine.IterationBlockUnderWay(plan.Loads[i], resumeAt) is not var (index, block))
            {
                continue;
            }

            var name = plan.Scenarios[i].Name;
            var reported = progress is null ? (IterationProgress?)null : ScenarioProgress.Find(progress, name);
            moved.Add(new MovedIterations(name, block.IterationsFor(lost), IterationTakeOver.Remaining(block, index, lost, reported)));
        }

        return moved;
    }

    /// <summary>The boundaries, comma-separated: <c>0,1/3,2/3,1</c>.</summary>
    public override string ToString() => Sequence.ToString();
}

/// <summary>What moves of a lost segment's iteration-counted block under way (<see cref="LoadSegments.IterationsToMove"/>).</summary>
/// <param name="Scenario">The scenario's name.</param>
/// <param name="Owned">The block's iterations the lost segment owned.</param>
/// <param name="Remaining">Those its last snapshot had not counted (all it owned when no snapshot arrived): the ones that move.</param>
public sealed record MovedIterations(string Scenario, long Owned, long Remaining);
