using LoadKit.Cluster.Protocol;
using LoadKit.Workload;

namespace LoadKit.Cluster;

/// <summary>
/// A part of the load a worker holds in a run: its own segment (id 0), or a part of a lost worker's that it was sent
/// (a part of a segment, or of a part that moved before), run from a plan time with exact iteration counts for the
/// iteration-counted block under way then. Its progress is what the last snapshot that listed it said.
/// </summary>
internal sealed class HeldShare
{
    private readonly int _segment;
    private readonly SegmentCut[] _cuts;
    private readonly Dictionary<string, BlockIterations> _iterations;

    private HeldShare(int id, int segment, SegmentCut[] cuts, SegmentShare share, TimeSpan resumeAt, Dictionary<string, BlockIterations> iterations)
    {
        (Id, _segment, _cuts, Share, ResumeAt, _iterations) = (id, segment, cuts, share, resumeAt, iterations);
    }

    /// <summary>0: the worker's own segment; otherwise the take-over's number in the run.</summary>
    public int Id { get; }

    public SegmentShare Share { get; }

    public TimeSpan ResumeAt { get; }

    /// <summary>Per scenario, its progress in the last snapshot that listed this share; null: none did yet.</summary>
    public IReadOnlyDictionary<string, IterationProgress>? Progress { get; set; }

    /// <summary>Whether a snapshot of its worker has listed it: the worker runs it (a take-over's acknowledgement).</summary>
    public bool Acknowledged => Progress is not null;

    /// <summary>How the result's worker table names it.</summary>
    public string Name => Id == 0
        ? Share.ToString()
        : $"{string.Concat(_cuts.Reverse().Select(c => $"part {c.PartIndex + 1} of {c.PartCount} of "))}segment {_segment + 1} from {(long)ResumeAt.TotalMilliseconds} ms";

    public static HeldShare Own(SegmentSequence sequence, int segment) => new(0, segment, [], sequence.Share(segment), TimeSpan.Zero, []);

    /// <summary>Part <paramref name="part"/> of <paramref name="parts"/> of this share, as take-over <paramref name="id"/>.</summary>
    public HeldShare Part(int id, int part, int parts, TimeSpan resumeAt, IEnumerable<BlockIterations> iterations) => new(
        id,
        _segment,
        [.. _cuts, new SegmentCut { PartIndex = part, PartCount = parts }],
        IterationTakeOver.Part(Share, part, parts),
        resumeAt,
        iterations.ToDictionary(i => i.Scenario, StringComparer.Ordinal));

    /// <summary>How many iterations of block <paramref name="index"/> of a scenario this share runs.</summary>
    public long Owned(string scenario, int index, IterationsBlock block) =>
        _iterations.TryGetValue(scenario, out var taken) && taken.BlockIndex == index ? taken.Iterations : block.IterationsFor(Share);

    /// <summary>What the worker is sent to run this share.</summary>
    public TakeOver ToTakeOver() => new()
    {
        LostSegmentIndex = _segment,
        Cuts = { _cuts },
        ResumeAtMs = (long)ResumeAt.TotalMilliseconds,
        TakeOverId = Id,
        Iterations = { _iterations.Values },
    };
}
