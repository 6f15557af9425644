using System.Diagnostics;
using System.Runtime.CompilerServices;
using LoadKit.Stats;

namespace LoadKit.Engine;

/// <summary>
/// One virtual user: its session, its reusable step context, timer and cancellation source, and the loop that
/// runs iterations. Every outcome of user code is counted here; nothing it throws leaves this class.
/// </summary>
internal sealed class VirtualUser : IDisposable
{
    private readonly Scenario _scenario;
    private readonly ScenarioStats _stats;
    private readonly StepContext _context;
    private readonly Random _random;
    private readonly PauseTimer _pause = new();
    private CancellationTokenSource _stepCancellation = new();
    private CancellationToken _stop;
    private long _iteration;
    private InitState _initState;

    public VirtualUser(int index, Scenario scenario, ScenarioStats stats)
    {
        _scenario = scenario;
        _stats = stats;
        _context = new StepContext(new Session(index));
        _random = new Random(HashCode.Combine(index, Environment.TickCount64));
    }

    private enum InitState
    {
        NotRun,
        Ready,
        Failed,
    }

    /// <summary>Whether the VU's init succeeded (or it has none), so cleanup is due.</summary>
    public bool NeedsCleanup => _initState == InitState.Ready && _scenario.Cleanup is not null;

    /// <summary>
    /// Runs up to <paramref name="iterations"/> iterations, starting none after <paramref name="deadlineTimestamp"/>
    /// (a <see cref="Stopwatch"/> timestamp). <paramref name="stop"/> interrupts whatever runs.
    /// </summary>
    public async Task RunAsync(long iterations, long deadlineTimestamp, CancellationToken stop)
    {
        _stop = stop;
        _stepCancellation.Dispose();
        _stepCancellation = CancellationTokenSource.CreateLinkedTokenSource(stop);
        if (_initState == InitState.NotRun)
        {
            await InitAsync().ConfigureAwait(false);
        }

        if (_initState != InitState.Ready)
        {
            return;
        }

        for (long i = 0; i < iterations && !stop.IsCancellationRequested && Stopwatch.GetTimestamp() < deadlineTimestamp; i++)
        {
            await RunIterationAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Runs the scenario's cleanup for this VU, bounded by <paramref name="timeout"/>.</summary>
    public async Task CleanupAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!NeedsCleanup)
        {
            return;
        }

        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cancellation.CancelAfter(timeout);
        await RunHookAsync(_scenario.Cleanup!, _stats.Cleanup!, timeout, cancellation.Token, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _pause.Dispose();
        _stepCancellation.Dispose();
    }

    private async Task InitAsync()
    {
        if (_scenario.Init is null)
        {
            _initState = InitState.Ready;
            return;
        }

        var timeout = _scenario.HookTimeout;
        _stepCancellation.CancelAfter(timeout);
        var outcome = await RunHookAsync(_scenario.Init, _stats.Init!, timeout, _stepCancellation.Token, _stop).ConfigureAwait(false);
        ResetStepCancellation();
        // An init interrupted by a stop has not failed: a later phase tries again.
        _initState = outcome switch
        {
            Outcome.Ok => InitState.Ready,
            Outcome.Cancelled => InitState.NotRun,
            _ => InitState.Failed,
        };
    }

    private async Task<Outcome> RunHookAsync(
        Func<Session, CancellationToken, ValueTask> hook,
        StepRecorder recorder,
        TimeSpan timeout,
        CancellationToken token,
        CancellationToken stop)
    {
        var start = Stopwatch.GetTimestamp();
        Outcome outcome;
        try
        {
            await hook(_context.Session, token).ConfigureAwait(false);
            outcome = Returned(start, timeout, token.IsCancellationRequested, stop.IsCancellationRequested);
            if (outcome == Outcome.TimedOut)
            {
                recorder.RecordError(TimeoutMessage(timeout));
            }
        }
        catch (Exception exception)
        {
            outcome = Classify(exception, start, timeout, token.IsCancellationRequested, stop.IsCancellationRequested);
            RecordError(recorder, outcome, exception, timeout);
        }

        recorder.Record(outcome, Histograms.Microseconds(start, Stopwatch.GetTimestamp()));
        return outcome;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask RunIterationAsync()
    {
        var steps = _scenario.Steps;
        var thinkTimes = _scenario.ThinkTimeBefore;
        var start = Stopwatch.GetTimestamp();
        _context.Iteration = _iteration++;
        var outcome = Outcome.Ok;
        for (var i = 0; i < steps.Length; i++)
        {
            if (thinkTimes[i] is { } thinkTime && !await _pause.WaitAsync(thinkTime.Next(_random), _stop).ConfigureAwait(false))
            {
                outcome = Outcome.Cancelled;
                break;
            }

            outcome = await RunStepAsync(i).ConfigureAwait(false);
            if (outcome != Outcome.Ok)
            {
                break;
            }
        }

        if (outcome == Outcome.Ok && thinkTimes[steps.Length] is { } lastThinkTime)
        {
            // The iteration's work is done; a stop during this pause does not undo it.
            await _pause.WaitAsync(lastThinkTime.Next(_random), _stop).ConfigureAwait(false);
        }

        _stats.Iterations.Record(outcome, Histograms.Microseconds(start, Stopwatch.GetTimestamp()));
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> RunStepAsync(int index)
    {
        var step = _scenario.Steps[index];
        var recorder = _stats.Steps[index];
        _context.BeginStep(step.Name, _stepCancellation.Token);
        var start = Stopwatch.GetTimestamp();
        _stepCancellation.CancelAfter(step.Timeout);
        Outcome outcome;
        try
        {
            await step.Action(_context).ConfigureAwait(false);
            outcome = Returned(start, step.Timeout, _stepCancellation.IsCancellationRequested, _stop.IsCancellationRequested);
            if (outcome == Outcome.TimedOut)
            {
                recorder.RecordError(TimeoutMessage(step.Timeout));
            }
            else if (outcome == Outcome.Ok && _context.FailureReason is { } reason)
            {
                outcome = Outcome.Failed;
                recorder.RecordError(reason);
            }
        }
        catch (Exception exception)
        {
            outcome = Classify(exception, start, step.Timeout, _stepCancellation.IsCancellationRequested, _stop.IsCancellationRequested);
            RecordError(recorder, outcome, exception, step.Timeout);
        }

        var end = Stopwatch.GetTimestamp();
        ResetStepCancellation();
        recorder.Record(outcome, Histograms.Microseconds(start, end));
        return outcome;
    }

    /// <summary>
    /// The outcome of a call that returned: a call whose token fired returned because of it (a step may catch the
    /// cancellation or check the token and return), so it stopped or timed out rather than succeeded.
    /// </summary>
    private static Outcome Returned(long start, TimeSpan timeout, bool tokenCancelled, bool stopRequested)
    {
        if (tokenCancelled)
        {
            return stopRequested ? Outcome.Cancelled : Outcome.TimedOut;
        }

        return Stopwatch.GetElapsedTime(start) > timeout ? Outcome.TimedOut : Outcome.Ok;
    }

    private static Outcome Classify(Exception exception, long start, TimeSpan timeout, bool tokenCancelled, bool stopRequested)
    {
        if (stopRequested)
        {
            return Outcome.Cancelled;
        }

        // Our timeout fired, the call outlived it, or the callee reports a timeout of its own
        // (HttpClient.Timeout throws TaskCanceledException wrapping a TimeoutException).
        var timedOut = tokenCancelled
            || Stopwatch.GetElapsedTime(start) >= timeout
            || exception is TimeoutException
            || exception.InnerException is TimeoutException;
        return timedOut ? Outcome.TimedOut : Outcome.Failed;
    }

    private static void RecordError(StepRecorder recorder, Outcome outcome, Exception exception, TimeSpan timeout)
    {
        switch (outcome)
        {
            case Outcome.Failed:
                recorder.RecordError($"{exception.GetType().Name}: {exception.Message}");
                break;
            case Outcome.TimedOut:
                recorder.RecordError(TimeoutMessage(timeout));
                break;
        }
    }

    private static string TimeoutMessage(TimeSpan timeout) => $"timed out after {Format.Duration(timeout)}";

    private void ResetStepCancellation()
    {
        // TryReset stops the timeout timer and keeps the source for the next step; it fails only once the
        // source was cancelled (timeout or stop), and then a fresh one is linked to the stop token.
        if (!_stepCancellation.TryReset())
        {
            _stepCancellation.Dispose();
            _stepCancellation = CancellationTokenSource.CreateLinkedTokenSource(_stop);
        }
    }
}
