using System.Threading.Tasks.Sources;

namespace LoadKit.Engine;

/// <summary>
/// A delay that one VU reuses for every think time: one timer for the VU's life, no allocation per pause
/// (Task.Delay allocates a task and a timer each time). Completes with true when the time elapsed and false when
/// the token was cancelled, so stopping a run throws nothing.
/// </summary>
internal sealed class PauseTimer : IValueTaskSource<bool>, IDisposable
{
    private Timer _timer;
    private Ticket _ticket;
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _registration;
    private int _completed;

    public PauseTimer() => (_timer, _ticket) = NewTimer();

    /// <summary>Waits <paramref name="duration"/>; only one wait at a time.</summary>
    public ValueTask<bool> WaitAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return new ValueTask<bool>(false);
        }

        if (duration <= TimeSpan.Zero)
        {
            return new ValueTask<bool>(true);
        }

        _core.Reset();
        Volatile.Write(ref _completed, 0);
        // Arm the timer before registering: a cancellation that lands in between then replaces an armed timer.
        _timer.Change(duration, Timeout.InfiniteTimeSpan);
        _registration = cancellationToken.UnsafeRegister(static state => ((PauseTimer)state!).Complete(false), this);
        return new ValueTask<bool>(this, _core.Version);
    }

    public bool GetResult(short token)
    {
        _registration.Unregister();
        return _core.GetResult(token);
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    public void Dispose() => _timer.Dispose();

    private void Complete(bool elapsed)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return;
        }

        if (!elapsed)
        {
            // A cancelled wait leaves the timer armed, and its late tick must not end a later wait:
            // replace the timer (cancellation is rare) and ignore ticks of the old one.
            _timer.Dispose();
            (_timer, _ticket) = NewTimer();
        }

        _core.SetResult(elapsed);
    }

    private (Timer Timer, Ticket Ticket) NewTimer()
    {
        var ticket = new Ticket(this);
        var timer = new Timer(
            static state =>
            {
                var ticket = (Ticket)state!;
                if (ReferenceEquals(Volatile.Read(ref ticket.Owner._ticket), ticket))
                {
                    ticket.Owner.Complete(true);
                }
            },
            ticket,
            Timeout.Infinite,
            Timeout.Infinite);
        return (timer, ticket);
    }

    private sealed class Ticket(PauseTimer owner)
    {
        public PauseTimer Owner { get; } = owner;
    }
}
