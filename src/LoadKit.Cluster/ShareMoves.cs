using LoadKit.Display;
using LoadKit.Targets;

namespace LoadKit.Cluster;

/// <summary>
/// Moves what a lost worker held (its own segment and the parts it had taken over, as often as losses come) to the
/// live workers, each part with the iterations its former holder left undone, and says afterwards in the result's
/// notes what happened: which parts were acknowledged by whom, and which never were.
/// </summary>
internal sealed class ShareMoves(RunPlan plan, LoadSegments segments)
{
    private readonly List<Move> _moves = [];
    private int _lastId;

    /// <summary>
    /// Cuts each of <paramref name="moving"/> (what <paramref name="from"/> held) into one part per live worker of
    /// <paramref name="survivors"/>, from <paramref name="at"/> on, and sends the parts. A worker whose write fails is
    /// skipped for the rest; it will count as lost and hand on what it was sent. Each part sent, or a share nobody is
    /// left to take, is told to <paramref name="tell"/>.
    /// </summary>
    public async Task MoveAsync(WorkerLink from, HeldShare[] moving, TimeSpan at, WorkerLink[] survivors, Action<RunEvent> tell, CancellationToken cancellationToken)
    {
        at = TimeSpan.FromMilliseconds((long)at.TotalMilliseconds); // the plan time the workers are sent
        foreach (var held in moving)
        {
            var live = survivors.Where(s => s.Live).ToArray();
            var counts = Counts(held, at);
            var move = new Move(from, from.Lost, at, held, counts, []);
            _moves.Add(move);
            var split = live.Length == 0 ? [] : counts.Select(c => segments.SplitIterations(plan, held.Part, c.Moved, live.Length)).ToArray();
            var what = held.Id == 0 ? $"share {held.Name}" : held.Name;
            if (live.Length == 0)
            {
                tell(new RunEvent(DateTimeOffset.UtcNow, RunEventKind.TakeOver, RunEventLevel.Error, DistributedRunner.Controller,
                    $"No worker was left to take over {from.Info.Id}'s {what}: its load from {Format.Duration(at)} on is not run."));
            }

            for (var part = 0; part < live.Length; part++)
            {
                var taken = held.Cut(++_lastId, part, live.Length, at, [.. split.Select(s => s[part])]);
                move.Parts.Add((live[part], taken));
                if (await live[part].TakeOverAsync(taken, cancellationToken).ConfigureAwait(false))
                {
                    var iterations = string.Concat(taken.Iterations.Select(i => $" Scenario '{i.Scenario}': {Format.Count(i.Iterations)} iterations of the block under way."));
                    tell(new RunEvent(DateTimeOffset.UtcNow, RunEventKind.TakeOver, RunEventLevel.Information, live[part].Info.Id,
                        $"Takes over {taken.Part} (take-over {taken.Id}) of {from.Info.Id}'s {what} from {Format.Duration(at)} on.{iterations}"));
                }
            }
        }
    }

    /// <summary>One note per worker whose held shares moved, as things ended: only acknowledged parts count as moved.</summary>
    public IEnumerable<string> Notes() => _moves.GroupBy(m => (m.From, m.At)).Select(g =>
    {
        var (from, at) = g.Key;
        var first = g.First();
        var opening = first.Lost is null
            ? $"Worker {from.Info.Id} had ended its run when the parts it was sent last arrived ({Format.Duration(at)} into the run)."
            : $"Worker {from.Info.Id} was lost {Format.Duration(at)} into the run ({first.Lost}). Its statistics end at its last snapshot.";
        return opening + string.Concat(g.Select(m => " " + Describe(m)));
    });

    private static string Describe(Move move)
    {
        var what = move.Held.Id == 0 ? $"Its share {move.Held.Name}" : $"Its {move.Held.Name}";
        if (move.Parts.Count == 0)
        {
            return $"{what}: no worker was left to take it over." +
                string.Concat(move.Counts.Select(c => $" Scenario '{c.Moved.Scenario}': {c.Moved.Remaining} iterations of the iteration-counted block under way were not run."));
        }

        var taken = move.Parts.Where(p => p.Part.Acknowledged).Select(p => p.To.Info.Id).ToArray();
        var text = taken.Length > 0
            ? $"{what} from {Format.Duration(move.At)} on moved to {string.Join(", ", taken)}."
            : $"{what} from {Format.Duration(move.At)} on was sent to {string.Join(", ", move.Parts.Select(p => p.To.Info.Id))}.";
        foreach (var (to, part) in move.Parts.Where(p => !p.Part.Acknowledged))
        {
            text += $" {to.Info.Id} never acknowledged its part ({(to.Lost is null ? "its run ended first" : "it was lost")}); the part moved on with what {to.Info.Id} held.";
        }

        return text + string.Concat(move.Counts.Select(c => " " + Iterations(move.Held.Id, c)));
    }

    private static string Iterations(int id, Count count)
    {
        var (name, _, owned, remaining) = count.Moved;
        if (!count.Known)
        {
            return id == 0
                ? $"Scenario '{name}': no snapshot of it had arrived, so all {owned} iterations it owned of the iteration-counted block under way moved (the target sees again those it had run)."
                : $"Scenario '{name}': no snapshot listed the part, so all {owned} iterations it had of the iteration-counted block under way moved (the target sees again those it had run).";
        }

        return id == 0
            ? $"Scenario '{name}': {remaining} iterations moved, of the {owned} it owned of the iteration-counted block under way " +
                $"({owned - remaining} completed by its last snapshot; any it ran after that are run again)."
            : $"Scenario '{name}': {remaining} iterations of the part moved, of the {owned} it had of the iteration-counted block under way " +
                $"({owned - remaining} completed by its last snapshot; any it ran after that are run again).";
    }

    /// <summary>Per scenario with an iteration-counted block under way at <paramref name="at"/>: what <paramref name="held"/> owned of it and left undone.</summary>
    private Count[] Counts(HeldShare held, TimeSpan at) =>
        [.. segments.IterationsToMove(plan, held.Part, at, held.Progress, held.Iterations).Select(m => new Count(m, held.Progress is not null))];

    /// <summary>
    /// A scenario's iteration-counted block under way when a share moved: what the share owned of it and left undone,
    /// and whether a snapshot had reported its progress (otherwise all of it moved).
    /// </summary>
    private sealed record Count(MovedIterations Moved, bool Known);

    /// <summary>One held share that moved: from whom, why (null: its run had ended), when, and the parts it was cut into.</summary>
    private sealed record Move(WorkerLink From, string? Lost, TimeSpan At, HeldShare Held, Count[] Counts, List<(WorkerLink To, HeldShare Part)> Parts);
}
