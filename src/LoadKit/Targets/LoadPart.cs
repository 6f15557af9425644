using LoadKit.Workload;

namespace LoadKit.Targets;

/// <summary>
/// A part of a run's load: a segment of a <see cref="LoadSegments"/> (<see cref="LoadSegments.Segment"/>), or a part
/// of one cut further into equal parts, as many times as shares move (a lost process's segment cut among the
/// processes left, a part of that cut again when its holder is lost in turn). The parts of a cut own every VU slot,
/// iteration and arrival of what they cut exactly once between them, so moving a share is arithmetic. Immutable.
/// </summary>
public sealed class LoadPart
{
    private LoadPart(LoadSegments segments, int segment, IReadOnlyList<LoadCut> cuts, SegmentShare share)
    {
        Segments = segments;
        Segment = segment;
        Cuts = cuts;
        Share = share;
    }

    /// <summary>The index in <see cref="Segments"/> of the segment this is, or is a part of.</summary>
    public int Segment { get; }

    /// <summary>The cuts applied to the segment, in order: each takes a part of what the one before it left. Empty: the whole segment.</summary>
    public IReadOnlyList<LoadCut> Cuts { get; }

    internal LoadSegments Segments { get; }

    internal SegmentShare Share { get; }

    /// <summary>Part <paramref name="part"/> of <paramref name="parts"/> equal parts of this one.</summary>
    /// <param name="part">Which part, from 0.</param>
    /// <param name="parts">Into how many parts this one is cut, from 1 (one per process that takes it over).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parts"/> is below 1, or <paramref name="part"/> is not from 0 to <paramref name="parts"/> - 1.</exception>
    public LoadPart Cut(int part, int parts)
    {
        if (parts < 1 || part < 0 || part >= parts)
        {
            throw new ArgumentOutOfRangeException(
                parts < 1 ? nameof(parts) : nameof(part),
                $"cut = part {part} of {parts} of {this}: allowed a part 0 to count - 1 of a count from 1.");
        }

        return new LoadPart(Segments, Segment, [.. Cuts, new LoadCut(part, parts)], SegmentSequence.Equal(parts).Share(part).Within(Share));
    }

    /// <summary>
    /// As people read it: a segment as <see cref="LoadSegments.Describe"/> writes it (<c>segment 2 of 3 (1/3, 2/3]</c>);
    /// a part with its cuts, the last one first (<c>part 1 of 2 of part 3 of 3 of segment 2</c>).
    /// </summary>
    public override string ToString() => Cuts.Count == 0
        ? Share.ToString()
        : $"{string.Concat(Cuts.Reverse().Select(c => $"part {c.Part + 1} of {c.Parts} of "))}segment {Segment + 1}";

    internal static LoadPart Of(LoadSegments segments, int segment) => new(segments, segment, [], segments.Sequence.Share(segment));
}

/// <summary>One cut of a <see cref="LoadPart"/>: part <paramref name="Part"/> of <paramref name="Parts"/> equal parts. Immutable.</summary>
/// <param name="Part">Which part, from 0.</param>
/// <param name="Parts">Into how many parts, from 1.</param>
public sealed record LoadCut(int Part, int Parts);
