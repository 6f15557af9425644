using System.Diagnostics;
using System.Runtime.CompilerServices;
using LoadKit.Async;
using LoadKit.Feeds;
using LoadKit.HttpWire;
using LoadKit.Results;
using LoadKit.Stats;

namespace LoadKit.Engine;

/// <summary>
/// One VU's iterations, one at a time: picks a task by weight, runs its pre-work once, then its steps with their
/// think times and feed reads, and records each step and the iteration. Reuses the VU's step context, timer and
/// cancellation source, so an iteration allocates nothing in steady state. Every outcome of user code is counted
/// here; nothing a step throws leaves this class.
/// </summary>
internal sealed class IterationRunner
{
    private readonly Scenario _scenario;
    private readonly StepContext _context;
    private readonly Random _random;
    private readonly PauseTimer _pause;
    private readonly StepCancellation _cancellation;
    private readonly bool[] _preWorkDone;
    private readonly FeedRun _feeds;
    private readonly ActiveUsers _activeUsers;
    private bool _feedRanOut;
    private bool _called;
    private long _iteration;
    private long _lagTicks;

    // The step that ends an iteration is recorded with the iteration, under the record lock (see StripedRecordLock).
    private StepRecorder? _endingStep;
    private Outcome _endingOutcome;
    private long _endingMicroseconds;
    private long _endingFromScheduled;

    /// <param name="index">The VU's global index, which seeds its random source.</param>
    /// <param name="scenario">The scenario the VU runs.</param>
    /// <param name="context">The VU's step context, reused for every step.</param>
    /// <param name="pause">The VU's think-time timer.</param>
    /// <param name="cancellation">The VU's cancellation of the step under way.</param>
    /// <param name="feeds">The feeds bound to the VU's share.</param>
    /// <param name="activeUsers">The scenario's VUs, where the first call is noted.</param>
    public IterationRunner(int index, Scenario scenario, StepContext context, PauseTimer pause, StepCancellation cancellation, FeedRun feeds, ActiveUsers activeUsers)
    {
        _activeUsers = activeUsers;
        _scenario = scenario;
        _context = context;
        _pause = pause;
        _cancellation = cancellation;
        _feeds = feeds;
        _random = new Random(HashCode.Combine(index, Environment.TickCount64));
        _preWorkDone = new bool[scenario.Tasks.Length];
    }

    /// <summary>Runs one iteration of a task picked by weight; <paramref name="scheduledTimestamp"/> is when it was due, or 0.</summary>
    [AsyncMethodBuilder(typeof(SharedPoolValueTaskBuilder))]
    public async ValueTask RunAsync(ScenarioStats stats, long scheduledTimestamp)
    {
        var start = Stopwatch.GetTimestamp();
        _lagTicks = scheduledTimestamp == 0 ? 0 : Math.Max(0, start - scheduledTimestamp);
        if (scheduledTimestamp != 0)
        {
            stats.Gauges.Lag.Record(Outcome.Ok, Histograms.Microseconds(scheduledTimestamp, Math.Max(start, scheduledTimestamp)));
        }

        _context.Iteration = _iteration++;
        var taskIndex = PickTask();
        var task = _scenario.Tasks[taskIndex];
        var outcome = Outcome.Ok;
        if (task.PreWork is not null && !_preWorkDone[taskIndex])
        {
            outcome = await RunPreWorkAsync(task.PreWork, stats.PreWork[taskIndex]!).ConfigureAwait(false);
            _preWorkDone[taskIndex] = outcome == Outcome.Ok;
        }

        var thinkTimes = task.ThinkTimeBefore;

        // Nothing comes between the last step and the iteration's end: its record joins the iteration's.
        var lastEnds = thinkTimes[task.StepCount] is null && task.FeedsBefore[task.StepCount] is null;
        for (var i = 0; i < task.StepCount && outcome == Outcome.Ok; i++)
        {
            if (thinkTimes[i] is { } thinkTime && !await _pause.WaitAsync(thinkTime.Next(_random), _cancellation.Stop).ConfigureAwait(false))
            {
                outcome = Outcome.Cancelled;
                break;
            }

            if (task.FeedsBefore[i] is { } feeds && !ReadFeeds(feeds))
            {
                return;
            }

            outcome = await RunStepAsync(stats.Steps[task.FirstStep + i], task.FirstStep + i, endsIfOk: lastEnds && i == task.StepCount - 1).ConfigureAwait(false);
        }

        if (_feedRanOut || (outcome == Outcome.Ok && task.FeedsBefore[task.StepCount] is { } lastFeeds && !ReadFeeds(lastFeeds)))
        {
            // A feed ran out (the scenario stops): the iteration ends here, counted neither as done nor as failed.
            _feedRanOut = false;
            RecordEnd(stats, null);
            return;
        }

        if (outcome == Outcome.Ok && thinkTimes[task.StepCount] is { } lastThinkTime)
        {
            // The iteration's work is done; a stop during this pause does not undo it.
            await _pause.WaitAsync(lastThinkTime.Next(_random), _cancellation.Stop).ConfigureAwait(false);
        }

        var end = Stopwatch.GetTimestamp();
        RecordEnd(stats, (outcome, Histograms.Microseconds(start, end), Histograms.Microseconds(start - _lagTicks, end), taskIndex));
    }

    /// <summary>
    /// Records the step that ended the iteration, if it waits, and the iteration (null: not counted) at one instant for
    /// the collector. Not async: the record lock is a lock.
    /// </summary>
    private void RecordEnd(ScenarioStats stats, (Outcome Outcome, long Microseconds, long FromScheduled, int Task)? iteration)
    {
        // One lock for all: the recorders' stripes are the record lock's.
        using var held = stats.RecordLock.Enter();
        if (_endingStep is { } step)
        {
            step.Record(held, _endingOutcome, _endingMicroseconds, _endingFromScheduled);
            _endingStep = null;
        }

        if (iteration is var (outcome, microseconds, fromScheduled, task))
        {
            stats.Iterations.Record(held, outcome, microseconds, fromScheduled);
            stats.Tasks?[task].Record(held, outcome, microseconds, fromScheduled);
        }
    }

    /// <summary>Reads a record of each feed into the session; false when one ran out.</summary>
    private bool ReadFeeds(DataFeed[] feeds)
    {
        foreach (var feed in feeds)
        {
            if (!_feeds.TryRead(feed, _context.Session))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A task by weight, from this VU's random source (no allocation).</summary>
    private int PickTask()
    {
        var tasks = _scenario.Tasks;
        if (tasks.Length == 1)
        {
            return 0;
        }

        var pick = _random.NextDouble() * _scenario.TotalWeight;
        var last = 0;
        for (var i = 0; i < tasks.Length; i++)
        {
            if (tasks[i].Weight > 0)
            {
                last = i;
                pick -= tasks[i].Weight;
                if (pick < 0)
                {
                    return i;
                }
            }
        }

        // Rounding left a sliver: the last task with a weight takes it.
        return last;
    }

    private async Task<Outcome> RunPreWorkAsync(Func<Session, CancellationToken, ValueTask> preWork, StepRecorder recorder)
    {
        _cancellation.CancelAfter(_scenario.HookTimeout);
        NoteCall(Stopwatch.GetTimestamp());
        var outcome = await Calls.RunHookAsync(preWork, _context.Session, recorder, _scenario.HookTimeout, _cancellation.Token, _cancellation.Stop).ConfigureAwait(false);
        _cancellation.Reset();
        return outcome;
    }

    /// <param name="recorder">The step's statistics.</param>
    /// <param name="index">The step's index in the scenario.</param>
    /// <param name="endsIfOk">
    /// Whether the iteration ends right after this step when it succeeds (it ends after any step that does not): then
    /// the step's record waits for the iteration's (<see cref="RecordEnd"/>).
    /// </param>
    [AsyncMethodBuilder(typeof(SharedPoolValueTaskBuilder<>))]
    private async ValueTask<Outcome> RunStepAsync(StepRecorder recorder, int index, bool endsIfOk)
    {
        var step = _scenario.Steps[index];
        if (!step.SendsOnly && SocketThread.IsCurrent)
        {
            await Task.Yield(); // the user's code never runs on the socket thread (HttpSettings.ResponsesOnSocketThread)
        }

        _context.BeginStep(step.Name, _cancellation.Token, recorder);
        var start = Stopwatch.GetTimestamp();
        NoteCall(start);
        _cancellation.CancelAfter(step.Timeout);
        Outcome outcome;
        try
        {
            await step.Action(_context).ConfigureAwait(false);
            outcome = Calls.Returned(start, step.Timeout, _cancellation.IsCancellationRequested, _cancellation.Stop.IsCancellationRequested);
            if (outcome == Outcome.TimedOut)
            {
                recorder.RecordError(Calls.TimeoutMessage(step.Timeout));
            }
            else if (outcome == Outcome.Ok && _context.FailureReason is { } reason)
            {
                outcome = Outcome.Failed;
                recorder.RecordError(reason);
            }
        }
        catch (FeedExhaustedException)
        {
            // DataFeed.ReadInto found a unique feed empty: not a failure; the iteration ends uncounted.
            outcome = Outcome.Cancelled;
            _feedRanOut = true;
        }
        catch (Exception exception)
        {
            outcome = Calls.Classify(exception, start, step.Timeout, _cancellation.IsCancellationRequested, _cancellation.Stop.IsCancellationRequested);
            Calls.RecordError(recorder, outcome, exception, step.Timeout);
        }

        var end = Stopwatch.GetTimestamp();
        _cancellation.Reset();
        if (_feedRanOut || (outcome == Outcome.Ok && _context.NotACall))
        {
            return outcome;
        }

        if (endsIfOk || outcome != Outcome.Ok)
        {
            (_endingStep, _endingOutcome, _endingMicroseconds, _endingFromScheduled) =
                (recorder, outcome, Histograms.Microseconds(start, end), Histograms.Microseconds(start - _lagTicks, end));
            return outcome;
        }

        recorder.Record(outcome, Histograms.Microseconds(start, end), Histograms.Microseconds(start - _lagTicks, end));
        return outcome;
    }

    /// <summary>This VU's first call (a step's or pre-work's) joins the race for the scenario's first; later ones cost a branch.</summary>
    private void NoteCall(long start)
    {
        if (!_called)
        {
            _called = true;
            _activeUsers.NoteFirstCall(start);
        }
    }
}
