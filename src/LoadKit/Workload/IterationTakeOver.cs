using LoadKit.Engine;

namespace LoadKit.Workload;

/// <summary>
/// The arithmetic of taking over a lost segment's iteration-counted block under way: what is left of it after the
/// iterations its last snapshot counted, and each taking-over part's exact share of that. The controller (for its
/// note) and every worker (for its part) compute the same numbers from the same inputs.
/// </summary>
internal static class IterationTakeOver
{
    /// <summary>Part <paramref name="partIndex"/> of <paramref name="partCount"/> of segment <paramref name="lostIndex"/>.</summary>
    public static SegmentShare Part(SegmentSequence sequence, int lostIndex, int partIndex, int partCount) =>
        SegmentSequence.Equal(partCount).Share(partIndex).Within(sequence.Share(lostIndex));

    /// <summary>
    /// How many of the lost segment's iterations of block <paramref name="index"/> were not completed by its last
    /// report <paramref name="progress"/>; null (no report arrived): all it owned.
    /// </summary>
    public static long Remaining(IterationsBlock block, int index, SegmentShare lost, IterationProgress? progress)
    {
        var owned = block.IterationsFor(lost);
        return progress is { } known ? known.RemainingOf(index, owned) : owned;
    }

    /// <summary>
    /// Part <paramref name="partIndex"/>'s share of <paramref name="remaining"/>: split in proportion to the block's
    /// VUs each part owns, by cumulative floors, so the parts add up to exactly <paramref name="remaining"/> and a part
    /// that owns no VU of the block gets no iteration it could not run.
    /// </summary>
    public static long PartOf(long remaining, IterationsBlock block, SegmentSequence sequence, int lostIndex, int partIndex, int partCount)
    {
        var users = Enumerable.Range(0, partCount).Select(j => Part(sequence, lostIndex, j, partCount).CountOwned(block.Users)).ToArray();
        var total = users.Sum();
        if (total == 0)
        {
            return 0;
        }

        var before = users.Take(partIndex).Sum();
        var through = before + users[partIndex];
        return (long)(((Int128)remaining * through / total) - ((Int128)remaining * before / total));
    }
}
