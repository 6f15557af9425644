namespace LoadKit.Workload;

/// <summary>
/// The arithmetic of moving a lost holder's part of an iteration-counted block under way: what is left of it after the
/// iterations its last snapshot counted, and each taking-over part's exact share of that. The holder may be a
/// segment or a part of one that moved before; the controller computes the counts and sends each part its own.
/// </summary>
internal static class IterationTakeOver
{
    /// <summary>Part <paramref name="partIndex"/> of <paramref name="partCount"/> equal parts of <paramref name="held"/>.</summary>
    public static SegmentShare Part(SegmentShare held, int partIndex, int partCount) =>
        SegmentSequence.Equal(partCount).Share(partIndex).Within(held);

    /// <summary>
    /// How many of the <paramref name="owned"/> iterations of block <paramref name="index"/> were not completed by the
    /// holder's last report <paramref name="progress"/>; null (no report of it arrived): all of them.
    /// </summary>
    public static long Remaining(long owned, int index, IterationProgress? progress) =>
        progress is { } known ? known.RemainingOf(index, owned) : owned;

    /// <summary>
    /// Part <paramref name="partIndex"/>'s share of <paramref name="remaining"/>: split in proportion to the block's
    /// VUs each part of <paramref name="held"/> owns, by cumulative floors, so the parts add up to exactly
    /// <paramref name="remaining"/> and a part that owns no VU of the block gets no iteration it could not run.
    /// </summary>
    public static long PartOf(long remaining, IterationsBlock block, SegmentShare held, int partIndex, int partCount)
    {
        var users = Enumerable.Range(0, partCount).Select(j => Part(held, j, partCount).CountOwned(block.Users)).ToArray();
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
