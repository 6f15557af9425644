using LoadKit.Results;

namespace LoadKit.Targets;

/// <summary>
/// Merges what the processes of one run measured, exactly: counts add, HDR histograms merge, and timelines merge second
/// by second (the processes start at one instant, so their seconds line up). A distributed run's percentiles are then
/// those of one process that saw every sample.
/// </summary>
public static class ShareResults
{
    /// <summary>
    /// One result per scenario name from <paramref name="shares"/>, each the result of one process's share (with any
    /// parts it took over). Each process's <see cref="LoadResult.Generators"/> stay apart: a process's health is its own.
    /// </summary>
    /// <param name="shares">The processes' results.</param>
    /// <param name="startedAt">When the run started.</param>
    /// <param name="endedAt">When it ended.</param>
    /// <param name="cancelled">Whether it was cancelled.</param>
    public static LoadResult Merge(IReadOnlyCollection<LoadResult> shares, DateTimeOffset startedAt, DateTimeOffset endedAt, bool cancelled)
    {
        ArgumentNullException.ThrowIfNull(shares);
        return ResultMerge.Merge(shares, startedAt, endedAt, cancelled);
    }
}
