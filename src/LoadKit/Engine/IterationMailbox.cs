using System.Threading.Tasks.Sources;

namespace LoadKit.Engine;

/// <summary>An iteration an open model hands to a VU: when it was scheduled, and whether it is warm-up.</summary>
internal readonly record struct ScheduledIteration(long Timestamp, bool WarmUp, bool Closed = false);

/// <summary>
/// One VU's inbox for open-model iterations: a single slot, reused for the VU's whole life, so handing an iteration
/// over allocates nothing. The scheduler posts; the VU receives; <see cref="Close"/> ends the VU's loop once it has
/// finished what it was given.
/// </summary>
internal sealed class IterationMailbox : IValueTaskSource<ScheduledIteration>
{
    private readonly Lock _gate = new();
    private ManualResetValueTaskSourceCore<ScheduledIteration> _core = new() { RunContinuationsAsynchronously = true };
    private ScheduledIteration? _pending;
    private bool _waiting;
    private bool _closed;

    /// <summary>Opens the mailbox for a new block (a VU serves open-model blocks one after another).</summary>
    public void Open()
    {
        lock (_gate)
        {
            _closed = false;
            _pending = null;
        }
    }

    public void Post(ScheduledIteration iteration) => Deliver(iteration);

    public void Close() => Deliver(new ScheduledIteration(0, false, Closed: true));

    public ValueTask<ScheduledIteration> ReceiveAsync()
    {
        lock (_gate)
        {
            if (_pending is { } pending)
            {
                _pending = null;
                return new ValueTask<ScheduledIteration>(pending);
            }

            if (_closed)
            {
                return new ValueTask<ScheduledIteration>(new ScheduledIteration(0, false, Closed: true));
            }

            _core.Reset();
            _waiting = true;
            return new ValueTask<ScheduledIteration>(this, _core.Version);
        }
    }

    public ScheduledIteration GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Deliver(ScheduledIteration iteration)
    {
        lock (_gate)
        {
            if (iteration.Closed)
            {
                _closed = true;
            }

            if (_waiting)
            {
                _waiting = false;
                _core.SetResult(iteration);
            }
            else if (!iteration.Closed)
            {
                _pending = iteration;
            }
        }
    }
}
