using System.Threading.Tasks.Sources;

namespace LoadKit.Engine;

/// <summary>An iteration an open model hands to a VU: when it was scheduled, and whether it is warm-up.</summary>
internal readonly record struct ScheduledIteration(long Timestamp, bool WarmUp, bool Closed = false);

/// <summary>
/// One VU's inbox for open-model iterations: a single slot, reused for the VU's whole life, so handing an iteration
/// over allocates nothing. The scheduler posts; the VU receives; <see cref="Close"/> ends the VU's loop once it has
/// finished what it was given. A post to a waiting VU may run the VU on the poster's thread until its first await
/// (see <see cref="Post"/>); the continuation runs outside the lock, so a VU that receives again at once does not
/// find it held.
/// </summary>
internal sealed class IterationMailbox : IValueTaskSource<ScheduledIteration>
{
    private readonly Lock _lock = new();
    private ManualResetValueTaskSourceCore<ScheduledIteration> _core = new();
    private ScheduledIteration? _pending;
    private bool _waiting;
    private bool _closed;

    /// <summary>Opens the mailbox for a new block (a VU serves open-model blocks one after another).</summary>
    public void Open()
    {
        lock (_lock)
        {
            _closed = false;
            _pending = null;
        }
    }

    /// <summary>
    /// Hands <paramref name="iteration"/> over. With <paramref name="inline"/> a waiting VU starts it on this thread
    /// and this call returns at the VU's first await: it saves waking a thread-pool thread per iteration, which is
    /// most of a generator's CPU at a fixed rate. Otherwise the VU continues on the thread pool.
    /// </summary>
    public void Post(ScheduledIteration iteration, bool inline) => Deliver(iteration, inline);

    /// <summary>Ends the VU's loop; the VU finishes (and runs its cleanup) on the thread pool, never on the caller's thread.</summary>
    public void Close() => Deliver(new ScheduledIteration(0, false, Closed: true), inline: false);

    public ValueTask<ScheduledIteration> ReceiveAsync()
    {
        lock (_lock)
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

    private void Deliver(ScheduledIteration iteration, bool inline)
    {
        lock (_lock)
        {
            if (iteration.Closed)
            {
                _closed = true;
            }

            if (!_waiting)
            {
                if (!iteration.Closed)
                {
                    _pending = iteration;
                }

                return;
            }

            // Only this call completes the current wait: the VU cannot receive (and reset) before it has the result.
            _waiting = false;
        }

        _core.RunContinuationsAsynchronously = !inline;
        _core.SetResult(iteration);
    }
}
