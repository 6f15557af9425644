using LoadKit.Cluster.Protocol;
using LoadKit.Targets;

namespace LoadKit.Cluster;

/// <summary>
/// A part of the load a worker holds in a run: its own segment (id 0), or a part of a lost worker's that it was sent
/// (a part of a segment, or of a part that moved before), run from a plan time with exact iteration counts for the
/// iteration-counted block under way then. Its progress is what the last snapshot that listed it said.
/// </summary>
internal sealed class HeldShare
{
    private HeldShare(int id, LoadPart part, TimeSpan resumeAt, IReadOnlyList<ScenarioIterations> iterations)
    {
        (Id, Part, ResumeAt, Iterations) = (id, part, resumeAt, iterations);
    }

    /// <summary>0: the worker's own segment; otherwise the take-over's number in the run.</summary>
    public int Id { get; }

    public LoadPart Part { get; }

    public TimeSpan ResumeAt { get; }

    /// <summary>The iteration counts its take-over was sent (none for the own segment).</summary>
    public IReadOnlyList<ScenarioIterations> Iterations { get; }

    /// <summary>Per scenario, its progress in the last snapshot that listed this share; null: none did yet.</summary>
    public IReadOnlyList<ScenarioProgress>? Progress { get; set; }

    /// <summary>Whether a snapshot of its worker has listed it: the worker runs it (a take-over's acknowledgement).</summary>
    public bool Acknowledged => Progress is not null;

    /// <summary>How the result's worker table names it.</summary>
    public string Name => Id == 0 ? Part.ToString() : $"{Part} from {(long)ResumeAt.TotalMilliseconds} ms";

    public static HeldShare Own(LoadSegments segments, int segment) => new(0, segments.Segment(segment), TimeSpan.Zero, []);

    /// <summary>Part <paramref name="part"/> of <paramref name="parts"/> of this share, as take-over <paramref name="id"/>.</summary>
    public HeldShare Cut(int id, int part, int parts, TimeSpan resumeAt, IReadOnlyList<ScenarioIterations> iterations) =>
        new(id, Part.Cut(part, parts), resumeAt, iterations);

    /// <summary>What the worker is sent to run this share.</summary>
    public TakeOver ToTakeOver() => new()
    {
        LostSegmentIndex = Part.Segment,
        Cuts = { Part.Cuts.Select(c => new SegmentCut { PartIndex = c.Part, PartCount = c.Parts }) },
        ResumeAtMs = (long)ResumeAt.TotalMilliseconds,
        TakeOverId = Id,
        Iterations = { Iterations.Select(i => new BlockIterations { Scenario = i.Scenario, BlockIndex = i.Block, Iterations = i.Iterations }) },
    };
}
