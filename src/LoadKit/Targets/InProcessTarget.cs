using System.Diagnostics;
using LoadKit.Display;
using LoadKit.Health;
using LoadKit.Workload;
using LoadKit.Targets;

namespace LoadKit;

/// <summary>Runs a plan in this process, its whole load starting now. Workers run their share through the same code.</summary>
public sealed class InProcessTarget : IRunTarget
{
    private InProcessTarget()
    {
    }

    /// <summary>The one instance: the target holds no state of its own.</summary>
    public static InProcessTarget Instance { get; } = new();

    /// <inheritdoc />
    public async Task<LoadResult> RunAsync(RunPlan plan, RunObservers observers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(observers);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, observers.StopRequested);
        var run = new LocalRun(plan, SegmentSequence.Whole, 0, observers, incremental: false);
        try
        {
            // As a worker does before its start instant: the first requests then pay neither LoadKit's compiling nor
            // their connection's connect and TLS handshake, which would show as the target's latency. The engines
            // initialise their first VUs themselves before their clocks start.
            await run.PrepareAsync(stop.Token, connectionsOnly: true).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Cancelled while preparing: the run below ends at once with what it measured (nothing).
        }

        var source = HealthSampler.ThisProcess;
        observers.Started(Stopwatch.GetTimestamp());
        observers.Tell(new RunEvent(DateTimeOffset.UtcNow, RunEventKind.Started, RunEventLevel.Information, source,
            $"Load started: {string.Join(", ", plan.Scenarios.Select(s => s.Name))}, planned {Format.Duration(plan.PlannedDuration)}."));

        // When the stop came: the callback runs inside the observation that stops the run, so it only notes the time.
        DateTimeOffset? stoppedAt = null;
        DateTimeOffset? cancelledAt = null;
        using (observers.StopRequested.Register(() => stoppedAt = DateTimeOffset.UtcNow))
        using (cancellationToken.Register(() => cancelledAt = DateTimeOffset.UtcNow))
        {
            // No shared instant: each engine starts its clock once its pre-allocated VUs are initialised.
            var result = await run.Start(0, stop.Token).ConfigureAwait(false);
            if (observers.StopReason is { } reason)
            {
                observers.Tell(new RunEvent(stoppedAt ?? DateTimeOffset.UtcNow, RunEventKind.Stopped, RunEventLevel.Warning, source, $"Stopped early: {reason}"));
            }
            else if (cancellationToken.IsCancellationRequested)
            {
                observers.Tell(new RunEvent(cancelledAt ?? DateTimeOffset.UtcNow, RunEventKind.Stopped, RunEventLevel.Warning, source,
                    "Cancelled by the caller: the result holds what was measured until then."));
            }

            // Stopped by an observer is not cancelled: the run ended early as if its time were up.
            return result with { Cancelled = cancellationToken.IsCancellationRequested };
        }
    }
}
