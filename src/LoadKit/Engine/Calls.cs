using System.Diagnostics;
using LoadKit.Display;
using LoadKit.HttpWire;
using LoadKit.Results;
using LoadKit.Stats;

namespace LoadKit.Engine;

/// <summary>
/// How a call of user code (a step, a hook) ended: its outcome from the way it returned or what it threw, and the
/// error it records. A failure is recorded with its message; everything else allocates nothing.
/// </summary>
internal static class Calls
{
    /// <summary>Runs a hook (init, cleanup, pre-work) and records it in <paramref name="recorder"/>.</summary>
    public static async Task<Outcome> RunHookAsync(
        Func<Session, CancellationToken, ValueTask> hook,
        Session session,
        StepRecorder recorder,
        TimeSpan timeout,
        CancellationToken token,
        CancellationToken stop)
    {
        if (SocketThread.IsCurrent)
        {
            await Task.Yield(); // the user's code never runs on the socket thread (HttpSettings.ResponsesOnSocketThread)
        }

        var start = Stopwatch.GetTimestamp();
        Outcome outcome;
        try
        {
            await hook(session, token).ConfigureAwait(false);
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

    /// <summary>
    /// The outcome of a call that returned: a call whose token fired returned because of it (a step may catch the
    /// cancellation or check the token and return), so it stopped or timed out rather than succeeded.
    /// </summary>
    public static Outcome Returned(long start, TimeSpan timeout, bool tokenCancelled, bool stopRequested)
    {
        if (tokenCancelled)
        {
            return stopRequested ? Outcome.Cancelled : Outcome.TimedOut;
        }

        return Stopwatch.GetElapsedTime(start) > timeout ? Outcome.TimedOut : Outcome.Ok;
    }

    /// <summary>The outcome of a call that threw: stopped, timed out (ours or the callee's own limit), or failed.</summary>
    public static Outcome Classify(Exception exception, long start, TimeSpan timeout, bool tokenCancelled, bool stopRequested)
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

    /// <summary>Records the error of a failed or timed-out call (a stopped call has none).</summary>
    public static void RecordError(StepRecorder recorder, Outcome outcome, Exception exception, TimeSpan timeout)
    {
        switch (outcome)
        {
            case Outcome.Failed:
                recorder.RecordError($"{exception.GetType().Name}: {exception.Message}");
                break;
            case Outcome.TimedOut:
                // A callee's own time limit (an HTTP request's) names itself; otherwise the step's timeout fired.
                recorder.RecordError(exception is TimeoutException { Message.Length: > 0 } own ? own.Message : TimeoutMessage(timeout));
                break;
        }
    }

    /// <summary>The error of a call that outlived <paramref name="timeout"/>.</summary>
    public static string TimeoutMessage(TimeSpan timeout) => $"timed out after {Format.Duration(timeout)}";
}
