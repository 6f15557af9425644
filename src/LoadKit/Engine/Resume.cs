using LoadKit.Workload;

namespace LoadKit.Engine;

/// <summary>
/// Resume planning: what of a plan remains when an engine starts part-way into it (taking over a lost process's
/// segment), as if the run had started that long ago. Pure arithmetic on the plan; nothing here runs load.
/// </summary>
internal static class Resume
{
    /// <summary>
    /// The blocks of <paramref name="plan"/> that are not over at <paramref name="resumeAt"/>, each with its index and
    /// the offset into it to start from. Nominal times: an iteration-counted block is taken to last its maximum duration.
    /// </summary>
    public static IEnumerable<(int Index, PlanBlock Block, TimeSpan From)> Blocks(LoadPlan plan, TimeSpan resumeAt)
    {
        var blockStart = TimeSpan.Zero;
        for (var index = 0; index < plan.Blocks.Count; index++)
        {
            var block = plan.Blocks[index];
            var from = resumeAt > blockStart ? resumeAt - blockStart : TimeSpan.Zero;
            blockStart += block.Duration;
            if (blockStart > resumeAt)
            {
                yield return (index, block, from);
            }
        }
    }

    /// <summary>The iteration-counted block under way at <paramref name="resumeAt"/> (started before it, not over), if any.</summary>
    public static (int Index, IterationsBlock Block)? IterationBlockUnderWay(LoadPlan plan, TimeSpan resumeAt) =>
        Blocks(plan, resumeAt).FirstOrDefault() is (var index, IterationsBlock block, var from) && from > TimeSpan.Zero ? (index, block) : null;

    /// <summary>
    /// The events from <paramref name="from"/> on: a start at <paramref name="from"/> for each slot running then
    /// (replayed, so no VU starts only to stop again), then the events after it.
    /// </summary>
    public static IEnumerable<UserEvent> Events(IReadOnlyList<UserEvent> events, TimeSpan from)
    {
        if (from == TimeSpan.Zero)
        {
            return events;
        }

        var running = new SortedSet<int>();
        var next = 0;
        for (; next < events.Count && events[next].At <= from; next++)
        {
            if (events[next].Start)
            {
                running.Add(events[next].Slot);
            }
            else
            {
                running.Remove(events[next].Slot);
            }
        }

        return running.Select(slot => new UserEvent(from, slot, Start: true)).Concat(events.Skip(next));
    }
}
