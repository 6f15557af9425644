namespace LoadKit.Workload;

/// <summary>
/// A cut of the whole load into consecutive execution segments <c>(from, to]</c> that cover <c>(0, 1]</c>, one per
/// load process. Every unit of work that has an index (a VU slot, an iteration of a shared count, an arrival of an
/// open model) is owned by exactly one segment, through a striping pattern over the least common denominator D of
/// the boundaries: segment i owns <c>(to - from)·D</c> of every D consecutive indices, spread evenly. So the parts
/// add up exactly to the whole for any count, at any instant, and each process computes its own part knowing only
/// the sequence and its index (k6's execution segments, <c>lib/execution_segment.go</c>).
/// </summary>
internal sealed class SegmentSequence
{
    /// <summary>The largest D accepted: the pattern is an array of D entries.</summary>
    public const int MaxDenominator = 100_000;

    private readonly Fraction[] _boundaries;
    private readonly int[] _pattern;
    private readonly int[] _counts;

    public SegmentSequence(IReadOnlyList<Fraction> boundaries)
    {
        ArgumentNullException.ThrowIfNull(boundaries);
        if (boundaries.Count < 2 || boundaries[0] != Fraction.Zero || boundaries[^1] != Fraction.One)
        {
            throw new ArgumentException(
                $"Segment boundaries [{string.Join(", ", boundaries)}] must start at 0, end at 1 and have at least one segment.", nameof(boundaries));
        }

        for (var i = 1; i < boundaries.Count; i++)
        {
            if (boundaries[i] <= boundaries[i - 1])
            {
                throw new ArgumentException(
                    $"Segment boundary {boundaries[i]} must be greater than the one before it ({boundaries[i - 1]}).", nameof(boundaries));
            }
        }

        _boundaries = [.. boundaries];
        long denominator = 1;
        foreach (var boundary in _boundaries)
        {
            denominator = denominator / (long)System.Numerics.BigInteger.GreatestCommonDivisor(denominator, boundary.Denominator) * boundary.Denominator;
            if (denominator > MaxDenominator)
            {
                throw new ArgumentException(
                    $"Segment boundaries [{string.Join(", ", boundaries)}] need a common denominator above {MaxDenominator}; use coarser fractions.", nameof(boundaries));
            }
        }

        Denominator = (int)denominator;
        _counts = new int[Count];
        for (var i = 0; i < Count; i++)
        {
            _counts[i] = (int)(Scale(_boundaries[i + 1]) - Scale(_boundaries[i]));
        }

        _pattern = Stripe(_counts, Denominator);
    }

    /// <summary>One segment: the whole load, as in a local run.</summary>
    public static SegmentSequence Whole { get; } = new([Fraction.Zero, Fraction.One]);

    /// <summary>The number of segments.</summary>
    public int Count => _boundaries.Length - 1;

    /// <summary>From 0 to 1: segment i is <c>(Boundaries[i], Boundaries[i + 1]]</c>.</summary>
    public IReadOnlyList<Fraction> Boundaries => _boundaries;

    /// <summary>The least common denominator D of the boundaries: the length of the striping pattern.</summary>
    public int Denominator { get; }

    /// <summary><paramref name="count"/> equal segments.</summary>
    public static SegmentSequence Equal(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return new SegmentSequence(Enumerable.Range(0, count + 1).Select(i => new Fraction(i, count)).ToArray());
    }

    /// <summary>The part of the load that segment <paramref name="index"/> owns.</summary>
    public SegmentShare Share(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return new SegmentShare(this, index, _boundaries[index], _boundaries[index + 1], _pattern, _counts[index]);
    }

    public override string ToString() => string.Join(",", _boundaries);

    private long Scale(Fraction boundary) => boundary.Numerator * (Denominator / boundary.Denominator);

    /// <summary>
    /// Smooth weighted round-robin: position p goes to the segment with the most credit, so each segment's
    /// positions are spread as evenly as its share allows and a prefix of any length is split nearly in proportion.
    /// </summary>
    private static int[] Stripe(int[] counts, int length)
    {
        var pattern = new int[length];
        var credit = new long[counts.Length];
        for (var position = 0; position < length; position++)
        {
            var best = 0;
            for (var i = 0; i < counts.Length; i++)
            {
                credit[i] += counts[i];
                if (credit[i] > credit[best])
                {
                    best = i;
                }
            }

            credit[best] -= length;
            pattern[position] = best;
        }

        return pattern;
    }
}

/// <summary>
/// The part of the load one segment owns: which indices are its, and how many of the first n. A share can also cut
/// another share's units by their local index (<see cref="Within"/>), so a lost segment's work can be split among
/// the survivors with the same exactness.
/// </summary>
internal sealed class SegmentShare
{
    private readonly int[] _ownedPositions;
    private readonly int[] _ownedBefore;
    private readonly int _denominator;

    internal SegmentShare(SegmentSequence sequence, int index, Fraction from, Fraction to, int[] pattern, int count)
    {
        Sequence = sequence;
        Index = index;
        From = from;
        To = to;
        _denominator = pattern.Length;
        _ownedPositions = new int[count];
        _ownedBefore = new int[pattern.Length + 1];
        var owned = 0;
        for (var position = 0; position < pattern.Length; position++)
        {
            _ownedBefore[position] = owned;
            if (pattern[position] == index)
            {
                _ownedPositions[owned++] = position;
            }
        }

        _ownedBefore[pattern.Length] = owned;
    }

    /// <summary>The same cut as <paramref name="local"/>, applied to the local indices of <paramref name="outer"/>.</summary>
    private SegmentShare(SegmentShare local, SegmentShare outer)
    {
        Sequence = local.Sequence;
        Index = local.Index;
        From = local.From;
        To = local.To;
        Outer = outer;
        _ownedPositions = local._ownedPositions;
        _ownedBefore = local._ownedBefore;
        _denominator = local._denominator;
    }

    /// <summary>The whole load: what a local run owns.</summary>
    public static SegmentShare Whole { get; } = SegmentSequence.Whole.Share(0);

    /// <summary>The sequence this share is a segment of (of <see cref="Outer"/>'s units when that is set).</summary>
    public SegmentSequence Sequence { get; }

    public int Index { get; }

    public Fraction From { get; }

    public Fraction To { get; }

    /// <summary>The share whose units this one cuts, by their local index; null when it cuts the whole load.</summary>
    public SegmentShare? Outer { get; }

    /// <summary>
    /// This cut applied to the units of <paramref name="outer"/>: of those, the ones whose local index (their rank
    /// among <paramref name="outer"/>'s units) this share owns. The shares of a sequence, each within the same
    /// <paramref name="outer"/>, partition exactly what <paramref name="outer"/> owns.
    /// </summary>
    public SegmentShare Within(SegmentShare outer)
    {
        ArgumentNullException.ThrowIfNull(outer);

        // Already nested: this cuts Outer's local indices, so the whole chain moves inside the new outer share.
        return new SegmentShare(this, Outer is null ? outer : Outer.Within(outer));
    }

    /// <summary>Whether this segment owns the unit with global index <paramref name="index"/>.</summary>
    public bool Owns(long index) => Outer is null ? OwnsLocal(index) : Outer.Owns(index) && OwnsLocal(Outer.CountOwned(index));

    /// <summary>How many of the global indices <c>0 .. n-1</c> this segment owns.</summary>
    public long CountOwned(long n) => CountOwnedLocal(Outer is null ? n : Outer.CountOwned(n));

    /// <summary>The global index of this segment's <paramref name="j"/>-th unit (from 0).</summary>
    public long NthOwned(long j) => Outer is null ? NthOwnedLocal(j) : Outer.NthOwned(NthOwnedLocal(j));

    public override string ToString() => Outer is null
        ? $"segment {Index + 1} of {Sequence.Count} ({From}, {To}]"
        : $"part {Index + 1} of {Sequence.Count} of {Outer}";

    private bool OwnsLocal(long index) => _ownedBefore[(int)(index % _denominator) + 1] != _ownedBefore[(int)(index % _denominator)];

    private long CountOwnedLocal(long n) =>
        (n / _denominator * _ownedPositions.Length) + _ownedBefore[(int)(n % _denominator)];

    private long NthOwnedLocal(long j) =>
        (j / _ownedPositions.Length * _denominator) + _ownedPositions[(int)(j % _ownedPositions.Length)];
}
