namespace LoadKit.Engine;

/// <summary>
/// A VU's cancellation of the call under way (a step or a hook): one source linked to the stop token of the VU's
/// loop, armed with each call's timeout and reset after it, so a step creates no source in steady state.
/// </summary>
internal sealed class StepCancellation : IDisposable
{
    private CancellationTokenSource _source = new();

    /// <summary>The stop token of the VU's loop under way: it interrupts everything, pauses included.</summary>
    public CancellationToken Stop { get; private set; }

    /// <summary>The token the call under way is given.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>Whether the call under way was cancelled: its timeout fired or the loop was stopped.</summary>
    public bool IsCancellationRequested => _source.IsCancellationRequested;

    /// <summary>Links a fresh source to <paramref name="stop"/>, as a loop of the VU starts.</summary>
    public void Begin(CancellationToken stop)
    {
        Stop = stop;
        _source.Dispose();
        _source = CancellationTokenSource.CreateLinkedTokenSource(stop);
    }

    /// <summary>Arms the call's timeout.</summary>
    public void CancelAfter(TimeSpan timeout) => _source.CancelAfter(timeout);

    /// <summary>Disarms the timeout after a call, for the next one.</summary>
    public void Reset()
    {
        // TryReset stops the timeout timer and keeps the source for the next step; it fails only once the
        // source was cancelled (timeout or stop), and then a fresh one is linked to the stop token.
        if (!_source.TryReset())
        {
            _source.Dispose();
            _source = CancellationTokenSource.CreateLinkedTokenSource(Stop);
        }
    }

    public void Dispose() => _source.Dispose();
}
